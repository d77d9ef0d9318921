package sq.kernels;

import java.util.Objects;

/**
 * FP32 linear layer in the Hugging Face nn.Linear layout: Y[t, o] = sum_i X[t, i] * W[o, i] + bias[o], with
 * X row-major [T, in], W row-major [out, in], Y row-major [T, out]. Offsets select slices of larger arrays.
 * Work is spread over {@link Parallel}. Y must not overlap X or W.
 */
public final class MatMul {

    private MatMul() {
    }

    /** Whole-array form: all offsets 0. */
    public static void matmul(float[] x, int T, float[] w, float[] bias, int in, int out, float[] y) {
        matmul(x, 0, T, w, 0, bias, in, out, y, 0);
    }

    /**
     * y[yOff + t*out + o] = sum_i x[xOff + t*in + i] * w[wOff + o*in + i] + (bias == null ? 0 : bias[o]).
     * T == 1 (decode) runs the bandwidth-bound GEMV, T &gt; 1 (prefill) the cache-blocked GEMM.
     */
    public static void matmul(float[] x, int xOff, int T, float[] w, int wOff, float[] bias, int in, int out,
                              float[] y, int yOff) {
        if (T < 0 || in < 0 || out < 0) throw new IllegalArgumentException("negative size: T=" + T + " in=" + in + " out=" + out);
        Objects.checkFromIndexSize(xOff, (long) T * in, x.length);
        Objects.checkFromIndexSize(wOff, (long) out * in, w.length);
        Objects.checkFromIndexSize(yOff, (long) T * out, y.length);
        if (bias != null) Objects.checkFromIndexSize(0, out, bias.length);
        if (T == 1) Gemv.run(x, xOff, w, wOff, bias, in, out, y, yOff);
        else if (T > 1) Gemm.run(x, xOff, T, w, wOff, bias, in, out, y, yOff);
    }
}
