package sq.bert;

import sq.kernels.Parallel;
import sq.kernels.VectorOps;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The element-wise parts of the encoder: LayerNorm, GELU (exact erf form and tanh form), ReLU, channel scaling. */
final class BertMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * erf as a rational function of x on [-4, 4] (odd numerator of degree 13, even denominator of degree 8; the
     * single-precision approximation Eigen and XLA use): max error 1.3e-7, relative and absolute, no exp.
     */
    private static final float A13 = -2.72614225801306e-10f, A11 = 2.77068142495902e-08f, A9 = -2.10102402082508e-06f,
            A7 = -5.69250639462346e-05f, A5 = -7.34990630326855e-04f, A3 = -2.954600549904e-03f, A1 = -1.60960333262415e-02f;
    private static final float B8 = -1.45660718464996e-05f, B6 = -2.13374055278905e-04f, B4 = -1.68282697438203e-03f,
            B2 = -7.37332916720468e-03f, B0 = -1.42647390514189e-02f;
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    private BertMath() {
    }

    static float erf(float x) {
        x = Math.max(-4f, Math.min(4f, x));
        float x2 = x * x;
        float p = Math.fma(x2, A13, A11);
        p = Math.fma(x2, p, A9);
        p = Math.fma(x2, p, A7);
        p = Math.fma(x2, p, A5);
        p = Math.fma(x2, p, A3);
        p = Math.fma(x2, p, A1);
        float q = Math.fma(x2, B8, B6);
        q = Math.fma(x2, q, B4);
        q = Math.fma(x2, q, B2);
        q = Math.fma(x2, q, B0);
        return x * p / q;
    }

    /** x * 0.5 * (1 + erf(x / sqrt 2)) in place over x[from, to). */
    static void gelu(float[] x, int from, int to) {
        int bound = from + S.loopBound(to - from), i = from;
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.mul(INV_SQRT2).max(-4f).min(4f);
            FloatVector z2 = z.mul(z);
            FloatVector p = z2.fma(A13, A11);
            p = z2.fma(p, FloatVector.broadcast(S, A9));
            p = z2.fma(p, FloatVector.broadcast(S, A7));
            p = z2.fma(p, FloatVector.broadcast(S, A5));
            p = z2.fma(p, FloatVector.broadcast(S, A3));
            p = z2.fma(p, FloatVector.broadcast(S, A1));
            FloatVector q = z2.fma(B8, B6);
            q = z2.fma(q, FloatVector.broadcast(S, B4));
            q = z2.fma(q, FloatVector.broadcast(S, B2));
            q = z2.fma(q, FloatVector.broadcast(S, B0));
            FloatVector erf = z.mul(p).div(q);
            v.mul(0.5f).mul(erf.add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = x[i] * 0.5f * (1f + erf(x[i] * INV_SQRT2));
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static void geluTanh(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    static void relu(float[] x, int from, int to) {
        for (int i = from; i < to; i++) x[i] = Math.max(x[i], 0f);
    }

    /** The activation over x[from, to). */
    static void activation(BertConfig.Activation a, float[] x, int from, int to) {
        switch (a) {
            case GELU -> gelu(x, from, to);
            case GELU_TANH -> geluTanh(x, from, to);
            case RELU -> relu(x, from, to);
        }
    }

    /**
     * y[r] = (x[r] - mean) / sqrt(var + eps) * w + b over rows of width dim (biased variance, two passes; float
     * lanes, as ONNX Runtime computes it). y may be x. Rows are spread over {@link Parallel}.
     */
    static void layerNorm(float[] x, float[] y, int rows, int dim, float[] w, float[] b, float eps) {
        Parallel.forRange(rows, 8L * rows * dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) layerNormRow(x, y, r * dim, dim, w, b, eps);
        });
    }

    private static void layerNormRow(float[] x, float[] y, int base, int dim, float[] w, float[] b, float eps) {
        int bound = S.loopBound(dim), L = S.length(), i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += L) acc = acc.add(FloatVector.fromArray(S, x, base + i));
        double sum = VectorOps.sumLanes(acc);
        for (; i < dim; i++) sum += x[base + i];
        float mean = (float) (sum / dim);
        FloatVector vacc = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, base + i).sub(mean);
            vacc = d.fma(d, vacc);
        }
        double var = VectorOps.sumLanes(vacc);
        for (; i < dim; i++) {
            double d = x[base + i] - mean;
            var += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(var / dim + eps));
        for (i = 0; i < bound; i += L)
            FloatVector.fromArray(S, x, base + i).sub(mean).mul(inv).fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i))
                    .intoArray(y, base + i);
        for (; i < dim; i++) y[base + i] = (x[base + i] - mean) * inv * w[i] + b[i];
    }

    /**
     * Per-token (rows of width dim) or per-tensor int8 round trip in place, exactly as sq.quant.Quantizer does it
     * (scale = max(absmax, 1e-5) / 127, rint(v / scale) * scale; a static max saturates to [-128, 127]), vectorized.
     *
     * @param staticMax the calibrated max|x| for a static scale, or NaN for dynamic scales
     */
    static void fakeQuant(float[] x, int rows, int dim, boolean perToken, float staticMax) {
        if (perToken) {
            Parallel.forRange(rows, 4L * rows * dim, (r0, r1) -> {
                for (int r = r0; r < r1; r++) fakeQuant(x, r * dim, dim, Math.max(maxAbs(x, r * dim, (r + 1) * dim), 1e-5f) / 127f, false);
            });
        } else if (Float.isNaN(staticMax)) {
            fakeQuant(x, 0, rows * dim, Math.max(maxAbs(x, 0, rows * dim), 1e-5f) / 127f, false);
        } else {
            fakeQuant(x, 0, rows * dim, Math.max(staticMax, 1e-5f) / 127f, true);
        }
    }

    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to an integer, half to even (= Math.rint). */
    private static final float ROUNDER = 12582912f;

    private static void fakeQuant(float[] x, int off, int n, float scale, boolean saturate) {
        int bound = S.loopBound(n), L = S.length(), i = 0;
        for (; i < bound; i += L) {
            FloatVector q = FloatVector.fromArray(S, x, off + i).div(scale);
            if (saturate) q = q.max(-128f).min(127f); // after rounding in the scalar code; the same, as the bounds are integers
            q.add(ROUNDER).sub(ROUNDER).mul(scale).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            double q = Math.rint(x[off + i] / scale);
            if (saturate) q = Math.min(Math.max(q, -128), 127);
            x[off + i] = (float) q * scale;
        }
    }

    /** y[i] += x[i] over n elements. */
    static void add(float[] x, float[] y, int n) {
        int bound = S.loopBound(n), L = S.length(), i = 0;
        for (; i < bound; i += L) FloatVector.fromArray(S, y, i).add(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        for (; i < n; i++) y[i] += x[i];
    }

    /** y[t, j] = x[t, j] * m[j] for rows of width dim. */
    static void scaleChannels(float[] x, float[] y, int rows, int dim, float[] m) {
        int bound = S.loopBound(dim);
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            int j = 0;
            for (; j < bound; j += S.length())
                FloatVector.fromArray(S, x, base + j).mul(FloatVector.fromArray(S, m, j)).intoArray(y, base + j);
            for (; j < dim; j++) y[base + j] = x[base + j] * m[j];
        }
    }

    static float maxAbs(float[] x, int from, int to) {
        FloatVector acc = FloatVector.zero(S);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length())
            acc = acc.max(FloatVector.fromArray(S, x, i).abs());
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < to; i++) m = Math.max(m, Math.abs(x[i]));
        return m;
    }
}
