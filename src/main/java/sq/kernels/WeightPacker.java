package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs a block of W (row-major [out, in]) transposed, so that the GEMM micro-kernel reads the weights of
 * {@link GemmKernel#COLS} consecutive output features for one input feature as two contiguous vectors:
 * wt[k * COLS + n] = W[o + n, kb + k].
 *
 * <p>Packing touches every weight once per GEMM call, i.e. 1/T of the kernel's work, but a scalar transpose still
 * cost ~15% at T = 256; with 16 lanes full 16x16 blocks go through registers ({@link #transpose16}, ~2.4x faster).
 */
final class WeightPacker {

    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int COLS = GemmKernel.COLS;
    /** Two-source permutations for the 4 butterfly stages of a 16x16 transpose (stage b swaps index bit b of row and lane). */
    private static final FloatVector[] LO = new FloatVector[4], HI = new FloatVector[4];

    static {
        if (S.length() == 16) {
            for (int b = 0; b < 4; b++) {
                int bit = 1 << b;
                float[] lo = new float[16], hi = new float[16];
                for (int k = 0; k < 16; k++) {
                    int fromSecond = (k & bit) != 0 ? 16 : 0; // lanes 16..31 address the second source row
                    lo[k] = fromSecond + (k & ~bit);
                    hi[k] = fromSecond + (k | bit);
                }
                LO[b] = FloatVector.fromArray(S, lo, 0);
                HI[b] = FloatVector.fromArray(S, hi, 0);
            }
        }
    }

    private WeightPacker() {
    }

    /**
     * Packs rows [0, rows) x columns [0, kc) of the block starting at w[off] (row stride ld) into wt[kc][COLS].
     * Columns n >= rows of wt are left as they are: the kernel computes garbage there that the caller discards.
     */
    static void pack(float[] w, int off, int ld, int rows, int kc, float[] wt) {
        int fastRows = 0, fastK = 0;
        if (S.length() == 16) {
            fastRows = rows & ~15;
            fastK = kc & ~15;
            for (int n0 = 0; n0 < fastRows; n0 += 16) {
                for (int k0 = 0; k0 < fastK; k0 += 16) transpose16(w, off + n0 * ld + k0, ld, wt, k0 * COLS + n0);
            }
        }
        for (int n = 0; n < rows; n++) {
            int src = off + n * ld;
            for (int k = n < fastRows ? fastK : 0; k < kc; k++) wt[k * COLS + n] = w[src + k];
        }
    }

    /** wt[dst + k*COLS + n] = w[src + n*ld + k] for n, k &lt; 16, in registers: 16 loads, 64 permutes, 16 stores. */
    private static void transpose16(float[] w, int src, int ld, float[] wt, int dst) {
        FloatVector r0 = FloatVector.fromArray(S, w, src), r1 = FloatVector.fromArray(S, w, src + ld);
        FloatVector r2 = FloatVector.fromArray(S, w, src + 2 * ld), r3 = FloatVector.fromArray(S, w, src + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, w, src + 4 * ld), r5 = FloatVector.fromArray(S, w, src + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, w, src + 6 * ld), r7 = FloatVector.fromArray(S, w, src + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, w, src + 8 * ld), r9 = FloatVector.fromArray(S, w, src + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, w, src + 10 * ld), r11 = FloatVector.fromArray(S, w, src + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(S, w, src + 12 * ld), r13 = FloatVector.fromArray(S, w, src + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(S, w, src + 14 * ld), r15 = FloatVector.fromArray(S, w, src + 15 * ld);
        FloatVector lo = LO[0], hi = HI[0], t;
        t = lo.selectFrom(r0, r1); r1 = hi.selectFrom(r0, r1); r0 = t;
        t = lo.selectFrom(r2, r3); r3 = hi.selectFrom(r2, r3); r2 = t;
        t = lo.selectFrom(r4, r5); r5 = hi.selectFrom(r4, r5); r4 = t;
        t = lo.selectFrom(r6, r7); r7 = hi.selectFrom(r6, r7); r6 = t;
        t = lo.selectFrom(r8, r9); r9 = hi.selectFrom(r8, r9); r8 = t;
        t = lo.selectFrom(r10, r11); r11 = hi.selectFrom(r10, r11); r10 = t;
        t = lo.selectFrom(r12, r13); r13 = hi.selectFrom(r12, r13); r12 = t;
        t = lo.selectFrom(r14, r15); r15 = hi.selectFrom(r14, r15); r14 = t;
        lo = LO[1];
        hi = HI[1];
        t = lo.selectFrom(r0, r2); r2 = hi.selectFrom(r0, r2); r0 = t;
        t = lo.selectFrom(r1, r3); r3 = hi.selectFrom(r1, r3); r1 = t;
        t = lo.selectFrom(r4, r6); r6 = hi.selectFrom(r4, r6); r4 = t;
        t = lo.selectFrom(r5, r7); r7 = hi.selectFrom(r5, r7); r5 = t;
        t = lo.selectFrom(r8, r10); r10 = hi.selectFrom(r8, r10); r8 = t;
        t = lo.selectFrom(r9, r11); r11 = hi.selectFrom(r9, r11); r9 = t;
        t = lo.selectFrom(r12, r14); r14 = hi.selectFrom(r12, r14); r12 = t;
        t = lo.selectFrom(r13, r15); r15 = hi.selectFrom(r13, r15); r13 = t;
        lo = LO[2];
        hi = HI[2];
        t = lo.selectFrom(r0, r4); r4 = hi.selectFrom(r0, r4); r0 = t;
        t = lo.selectFrom(r1, r5); r5 = hi.selectFrom(r1, r5); r1 = t;
        t = lo.selectFrom(r2, r6); r6 = hi.selectFrom(r2, r6); r2 = t;
        t = lo.selectFrom(r3, r7); r7 = hi.selectFrom(r3, r7); r3 = t;
        t = lo.selectFrom(r8, r12); r12 = hi.selectFrom(r8, r12); r8 = t;
        t = lo.selectFrom(r9, r13); r13 = hi.selectFrom(r9, r13); r9 = t;
        t = lo.selectFrom(r10, r14); r14 = hi.selectFrom(r10, r14); r10 = t;
        t = lo.selectFrom(r11, r15); r15 = hi.selectFrom(r11, r15); r11 = t;
        lo = LO[3];
        hi = HI[3];
        t = lo.selectFrom(r0, r8); r8 = hi.selectFrom(r0, r8); r0 = t;
        t = lo.selectFrom(r1, r9); r9 = hi.selectFrom(r1, r9); r1 = t;
        t = lo.selectFrom(r2, r10); r10 = hi.selectFrom(r2, r10); r2 = t;
        t = lo.selectFrom(r3, r11); r11 = hi.selectFrom(r3, r11); r3 = t;
        t = lo.selectFrom(r4, r12); r12 = hi.selectFrom(r4, r12); r4 = t;
        t = lo.selectFrom(r5, r13); r13 = hi.selectFrom(r5, r13); r5 = t;
        t = lo.selectFrom(r6, r14); r14 = hi.selectFrom(r6, r14); r6 = t;
        t = lo.selectFrom(r7, r15); r15 = hi.selectFrom(r7, r15); r7 = t;
        r0.intoArray(wt, dst);
        r1.intoArray(wt, dst + COLS);
        r2.intoArray(wt, dst + 2 * COLS);
        r3.intoArray(wt, dst + 3 * COLS);
        r4.intoArray(wt, dst + 4 * COLS);
        r5.intoArray(wt, dst + 5 * COLS);
        r6.intoArray(wt, dst + 6 * COLS);
        r7.intoArray(wt, dst + 7 * COLS);
        r8.intoArray(wt, dst + 8 * COLS);
        r9.intoArray(wt, dst + 9 * COLS);
        r10.intoArray(wt, dst + 10 * COLS);
        r11.intoArray(wt, dst + 11 * COLS);
        r12.intoArray(wt, dst + 12 * COLS);
        r13.intoArray(wt, dst + 13 * COLS);
        r14.intoArray(wt, dst + 14 * COLS);
        r15.intoArray(wt, dst + 15 * COLS);
    }
}
