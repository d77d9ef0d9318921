package sq.kernels;

import java.util.Arrays;

/**
 * Prefill matmul (T &gt; 1): Y[T, out] = X[T, in] * W[out, in]^T + bias, blocked for the caches.
 *
 * <p>Each thread owns a contiguous range of output columns. For each block of {@link #KC} input features it packs
 * one strip of {@link GemmKernel#COLS} weight rows (kc x COLS floats, 32 KiB: stays in L1) and sweeps all tokens over
 * it in {@link GemmKernel#ROWS}-token tiles; the X block (T x kc) stays in L2. So W is read from memory once per call
 * and every packed weight is reused T times from L1. Y accumulates across the k blocks.
 */
final class Gemm {

    private static final int ROWS = GemmKernel.ROWS, COLS = GemmKernel.COLS;
    /** Input features per block; 128..512 measured within noise of each other, 256 keeps the strip in L1. */
    static final int KC = 256;

    /** Per-thread buffers, reused across calls. */
    private static final class Scratch {
        final float[] wt = new float[KC * COLS];
        /** The last T % ROWS tokens of the current X block, row stride kc, so edge tiles never read past X. */
        final float[] xTail = new float[ROWS * KC];
        /** Y tile for edge tiles (partial in tokens or columns); the kernel writes it whole, we copy back the valid part. */
        final float[] cTile = new float[ROWS * COLS];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {
    }

    static void run(float[] x, int xOff, int T, float[] w, int wOff, float[] bias, int in, int out, float[] y, int yOff) {
        int strips = (out + COLS - 1) / COLS;
        Parallel.forRange(strips, (long) T * in * out, (s0, s1) ->
                columns(x, xOff, T, w, wOff, bias, in, out, y, yOff, s0 * COLS, Math.min(out, s1 * COLS)));
    }

    /** Y[:, o0..o1) for all T tokens. */
    private static void columns(float[] x, int xOff, int T, float[] w, int wOff, float[] bias, int in, int out,
                                float[] y, int yOff, int o0, int o1) {
        Scratch s = SCRATCH.get();
        for (int t = 0; t < T; t++) {
            int row = yOff + t * out;
            if (bias == null) Arrays.fill(y, row + o0, row + o1, 0f);
            else System.arraycopy(bias, o0, y, row + o0, o1 - o0);
        }
        int fullT = T - T % ROWS;
        for (int kb = 0; kb < in; kb += KC) {
            int kc = Math.min(KC, in - kb);
            // Rows past T in xTail keep stale values: they only feed tile rows that are never copied back.
            for (int t = fullT; t < T; t++) System.arraycopy(x, xOff + t * in + kb, s.xTail, (t - fullT) * kc, kc);
            for (int o = o0; o < o1; o += COLS) {
                int cols = Math.min(COLS, o1 - o);
                WeightPacker.pack(w, wOff + o * in + kb, in, cols, kc, s.wt);
                int t = 0;
                if (cols == COLS) {
                    for (; t < fullT; t += ROWS) GemmKernel.run(x, xOff + t * in + kb, in, s.wt, kc, y, yOff + t * out + o, out);
                }
                for (; t < T; t += ROWS) {
                    if (t < fullT) edgeTile(x, xOff + t * in + kb, in, s, kc, y, yOff + t * out + o, out, ROWS, cols);
                    else edgeTile(s.xTail, 0, kc, s, kc, y, yOff + t * out + o, out, T - t, cols);
                }
            }
        }
    }

    /** A tile with fewer than ROWS tokens or COLS columns, computed in the scratch tile. */
    private static void edgeTile(float[] x, int xOff, int ldx, Scratch s, int kc, float[] y, int yOff, int ldy, int rows, int cols) {
        for (int r = 0; r < rows; r++) System.arraycopy(y, yOff + r * ldy, s.cTile, r * COLS, cols);
        GemmKernel.run(x, xOff, ldx, s.wt, kc, s.cTile, 0, COLS);
        for (int r = 0; r < rows; r++) System.arraycopy(s.cTile, r * COLS, y, yOff + r * ldy, cols);
    }
}
