package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernel: a {@link #ROWS} x {@link #COLS} tile of Y (tokens x output features), updated over a block of
 * kc input features as a sum of outer products, C += X[:, k] (broadcast) * Wt[k, :] (two vectors).
 *
 * <p>16 FloatVector accumulators stay in registers for the whole k loop; per k step there are 2 vector loads of
 * packed weights, 8 scalar broadcasts of X and 16 FMAs. No horizontal reductions: the accumulators are rows of Y.
 * 8x2 beat 6x4, 12x2, 8x3, 4x4 and 4x3 (vectors) on the benchmark shapes, and this outer-product form beat a
 * dot-product form (4 tokens x 4 rows, reduce at the end) by ~4x.
 */
final class GemmKernel {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Tokens per tile. */
    static final int ROWS = 8;
    /** Output features per tile: two vectors. */
    static final int COLS = 2 * L;

    private GemmKernel() {
    }

    /**
     * c[cOff + r*ldc + j] += sum_k x[xOff + r*ldx + k] * wt[k*COLS + j] for r &lt; ROWS, j &lt; COLS, k &lt; kc.
     *
     * @param wt packed weights [kc][COLS] (see {@link WeightPacker})
     */
    static void run(float[] x, int xOff, int ldx, float[] wt, int kc, float[] c, int cOff, int ldc) {
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        FloatVector a00 = FloatVector.fromArray(S, c, c0), a01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector a10 = FloatVector.fromArray(S, c, c1), a11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector a20 = FloatVector.fromArray(S, c, c2), a21 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector a30 = FloatVector.fromArray(S, c, c3), a31 = FloatVector.fromArray(S, c, c3 + L);
        FloatVector a40 = FloatVector.fromArray(S, c, c4), a41 = FloatVector.fromArray(S, c, c4 + L);
        FloatVector a50 = FloatVector.fromArray(S, c, c5), a51 = FloatVector.fromArray(S, c, c5 + L);
        FloatVector a60 = FloatVector.fromArray(S, c, c6), a61 = FloatVector.fromArray(S, c, c6 + L);
        FloatVector a70 = FloatVector.fromArray(S, c, c7), a71 = FloatVector.fromArray(S, c, c7 + L);
        int x0 = xOff, x1 = x0 + ldx, x2 = x1 + ldx, x3 = x2 + ldx, x4 = x3 + ldx, x5 = x4 + ldx, x6 = x5 + ldx, x7 = x6 + ldx;
        for (int k = 0; k < kc; k++) {
            FloatVector w0 = FloatVector.fromArray(S, wt, k * COLS), w1 = FloatVector.fromArray(S, wt, k * COLS + L);
            FloatVector v = FloatVector.broadcast(S, x[x0 + k]);
            a00 = w0.fma(v, a00);
            a01 = w1.fma(v, a01);
            v = FloatVector.broadcast(S, x[x1 + k]);
            a10 = w0.fma(v, a10);
            a11 = w1.fma(v, a11);
            v = FloatVector.broadcast(S, x[x2 + k]);
            a20 = w0.fma(v, a20);
            a21 = w1.fma(v, a21);
            v = FloatVector.broadcast(S, x[x3 + k]);
            a30 = w0.fma(v, a30);
            a31 = w1.fma(v, a31);
            v = FloatVector.broadcast(S, x[x4 + k]);
            a40 = w0.fma(v, a40);
            a41 = w1.fma(v, a41);
            v = FloatVector.broadcast(S, x[x5 + k]);
            a50 = w0.fma(v, a50);
            a51 = w1.fma(v, a51);
            v = FloatVector.broadcast(S, x[x6 + k]);
            a60 = w0.fma(v, a60);
            a61 = w1.fma(v, a61);
            v = FloatVector.broadcast(S, x[x7 + k]);
            a70 = w0.fma(v, a70);
            a71 = w1.fma(v, a71);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + L);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + L);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + L);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + L);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + L);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + L);
        a60.intoArray(c, c6);
        a61.intoArray(c, c6 + L);
        a70.intoArray(c, c7);
        a71.intoArray(c, c7 + L);
    }
}
