package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode matmul (T = 1): y[out] = W[out, in] * x[in] + bias. Memory-bandwidth bound, so the only goal is to stream W
 * once at full speed: each pass reads {@link #ROWS} weight rows against one load of x. Four streams measured as
 * fast as two or eight (~90-100% of the streaming-read bandwidth); one row at a time was ~25% slower.
 */
final class Gemv {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int ROWS = 4;

    private Gemv() {
    }

    static void run(float[] x, int xOff, float[] w, int wOff, float[] bias, int in, int out, float[] y, int yOff) {
        Parallel.forRange((out + ROWS - 1) / ROWS, (long) in * out, (b0, b1) ->
                rows(x, xOff, w, wOff, bias, in, y, yOff, b0 * ROWS, Math.min(out, b1 * ROWS)));
    }

    private static void rows(float[] x, int xOff, float[] w, int wOff, float[] bias, int in, float[] y, int yOff, int o0, int o1) {
        int bound = S.loopBound(in);
        int o = o0;
        for (; o + ROWS <= o1; o += ROWS) {
            int w0 = wOff + o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                a0 = FloatVector.fromArray(S, w, w0 + i).fma(v, a0);
                a1 = FloatVector.fromArray(S, w, w1 + i).fma(v, a1);
                a2 = FloatVector.fromArray(S, w, w2 + i).fma(v, a2);
                a3 = FloatVector.fromArray(S, w, w3 + i).fma(v, a3);
            }
            float s0 = VectorOps.sumLanes(a0), s1 = VectorOps.sumLanes(a1);
            float s2 = VectorOps.sumLanes(a2), s3 = VectorOps.sumLanes(a3);
            for (int i = bound; i < in; i++) {
                float v = x[xOff + i];
                s0 += w[w0 + i] * v;
                s1 += w[w1 + i] * v;
                s2 += w[w2 + i] * v;
                s3 += w[w3 + i] * v;
            }
            if (bias != null) {
                s0 += bias[o];
                s1 += bias[o + 1];
                s2 += bias[o + 2];
                s3 += bias[o + 3];
            }
            y[yOff + o] = s0;
            y[yOff + o + 1] = s1;
            y[yOff + o + 2] = s2;
            y[yOff + o + 3] = s3;
        }
        for (; o < o1; o++) {
            y[yOff + o] = VectorOps.dot(x, xOff, w, wOff + o * in, in) + (bias == null ? 0f : bias[o]);
        }
    }
}
