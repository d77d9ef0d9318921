package sq.model;

import sq.kernels.Parallel;

/**
 * RMSNorm and LayerNorm over the last dimension, row by row, in float32 with double sums (as close to PyTorch as it
 * gets). Rows are independent and each is computed the same way on any thread, so a prefill spreads them over
 * {@link Parallel} without changing a bit (the double sums run in order: a 256-token RMSNorm of TinyLlama on one
 * thread was 0.8% of an int8 prefill).
 */
final class Norms {
    private Norms() {
    }

    /** y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for rows of width dim starting at offsets off + r*dim. */
    static void rms(float[] x, float[] y, int rows, int dim, int off, float[] w, float eps) {
        rms(x, y, rows, dim, off, w, eps, false);
    }

    /** The same with gains (1 + w) where unitOffset (Gemma's zero-centred gains, 1 + w taken in float32 as there). */
    static void rms(float[] x, float[] y, int rows, int dim, int off, float[] w, float eps, boolean unitOffset) {
        Parallel.forRange(rows, 4L * rows * dim, (r0, r1) -> rmsRows(x, y, r0, r1, dim, off, w, eps, unitOffset));
    }

    private static void rmsRows(float[] x, float[] y, int r0, int r1, int dim, int off, float[] w, float eps, boolean unitOffset) {
        for (int r = r0; r < r1; r++) {
            int base = off + r * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[base + i] * x[base + i];
            float inv = (float) (1.0 / Math.sqrt((float) (ss / dim) + eps));
            if (unitOffset) for (int i = 0; i < dim; i++) y[base + i] = (1f + w[i]) * (x[base + i] * inv);
            else for (int i = 0; i < dim; i++) y[base + i] = w[i] * (x[base + i] * inv);
        }
    }

    /** y[r] = (x[r] - mean) / sqrt(var + eps) * w + b (biased variance, as torch.nn.LayerNorm). */
    static void layer(float[] x, float[] y, int rows, int dim, float[] w, float[] b, float eps) {
        Parallel.forRange(rows, 4L * rows * dim, (r0, r1) -> layerRows(x, y, r0, r1, dim, w, b, eps));
    }

    private static void layerRows(float[] x, float[] y, int r0, int r1, int dim, float[] w, float[] b, float eps) {
        for (int r = r0; r < r1; r++) {
            int base = r * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += x[base + i];
            double mean = sum / dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[base + i] - mean;
                var += d * d;
            }
            double inv = 1.0 / Math.sqrt(var / dim + eps);
            if (b == null) for (int i = 0; i < dim; i++) y[base + i] = (float) ((x[base + i] - mean) * inv) * w[i];
            else for (int i = 0; i < dim; i++) y[base + i] = (float) ((x[base + i] - mean) * inv) * w[i] + b[i];
        }
    }

    /** Rows of width dim of x through the norm n into y (y may be x). */
    static void apply(Architecture.Norm kind, NormWeights n, float[] x, float[] y, int rows, int dim, float eps) {
        switch (kind) {
            case RMS -> rms(x, y, rows, dim, 0, n.weight(), eps, false);
            case RMS_UNIT_OFFSET -> rms(x, y, rows, dim, 0, n.weight(), eps, true);
            case LAYER -> layer(x, y, rows, dim, n.weight(), n.bias(), eps);
        }
    }
}
