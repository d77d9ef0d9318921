package sq.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs int8 operands as triples in one long, so that one 64-bit multiply computes a three-term dot product
 * (for {@link Int8GemmKernel}). For inputs i1, i2, i3:
 * <pre>
 *   W = w[i1] + w[i2]·2^21 + w[i3]·2^43        X = x[i3] + x[i2]·2^22 + x[i1]·2^43
 *   W·X mod 2^64 = (w[i1]x[i1] + w[i2]x[i2] + w[i3]x[i3])·2^43 + low,   |low| &lt; 1.5·2^36
 * </pre>
 * (the cross terms land at 2^0, 2^21, 2^22 or at 2^64 and above, which wrap away; all values signed).
 *
 * <p>A block of r inputs starting at kb is cut into m = ceil(r/3) triples, triple j = (kb+j, kb+m+j, kb+2m+j): three
 * contiguous runs, so both packers load plain byte vectors. Inputs past the block count as 0.
 */
final class Int8Packer {

    private static final VectorSpecies<Long> S = Int8GemmKernel.S;
    private static final int L = S.length();
    /** Bytes with as many lanes as S. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int COLS = Int8GemmKernel.COLS;
    /** Two-source permutations for the 3 butterfly stages of an 8 x 8 transpose (used when L == 8). */
    private static final LongVector[] LO = new LongVector[3], HI = new LongVector[3];

    static {
        if (L == 8) {
            for (int b = 0; b < 3; b++) {
                int bit = 1 << b;
                long[] lo = new long[8], hi = new long[8];
                for (int k = 0; k < 8; k++) {
                    int fromSecond = (k & bit) != 0 ? 8 : 0; // lanes 8..15 address the second source row
                    lo[k] = fromSecond + (k & ~bit);
                    hi[k] = fromSecond + (k | bit);
                }
                LO[b] = LongVector.fromArray(S, lo, 0);
                HI[b] = LongVector.fromArray(S, hi, 0);
            }
        }
    }

    /** Per-thread room for one 8 x 8 block being transposed (packing runs per strip, thousands of times a call). */
    private static final ThreadLocal<long[]> TMP = ThreadLocal.withInitial(() -> new long[64]);

    private Int8Packer() {
    }

    /** Triples in a block of r inputs. */
    static int triples(int r) {
        return (r + 2) / 3;
    }

    /** xp[dst + j] = X of triple j of the r inputs at x[src], for j &lt; triples(r). */
    static void packX(byte[] x, int src, int r, long[] xp, int dst) {
        int m = triples(r), full = r - 2 * m; // triples [0, full) have all three inputs
        int bound = S.loopBound(Math.max(full, 0));
        for (int j = 0; j < bound; j += L) {
            widen(x, src + 2 * m + j).add(widen(x, src + m + j).lanewise(VectorOperators.LSHL, 22))
                    .add(widen(x, src + j).lanewise(VectorOperators.LSHL, 43)).intoArray(xp, dst + j);
        }
        for (int j = bound; j < m; j++) {
            xp[dst + j] = at(x, src, r, 2 * m + j) + (at(x, src, r, m + j) << 22) + (at(x, src, r, j) << 43);
        }
    }

    /**
     * wt[j*COLS + c] = W of triple j of the r inputs of row c (at w[src + c*ld]) for c &lt; rows, j &lt; triples(r);
     * columns rows &lt;= c &lt; COLS are zero, so a partial strip computes zeros there.
     *
     * <p>Encoding runs along j (contiguous bytes), the kernel wants lanes along c: with 8 lanes, full 8 x 8 blocks
     * go through registers ({@link #transpose8}); a scalar transpose cost ~7% of a T = 256 GEMM.
     */
    static void packW(byte[] w, int src, int ld, int rows, int r, long[] wt) {
        int m = triples(r), full = r - 2 * m, fastRows = 0, fastJ = 0; // triples [0, full) have all three inputs
        if (L == 8 && full >= 8) {
            fastRows = rows & ~7;
            fastJ = full;
            long[] tmp = TMP.get();
            for (int c0 = 0; c0 < fastRows; c0 += 8) {
                // The last block of 8 overlaps the one before when full is not a multiple of 8: same values, rewritten.
                for (int j0 = 0; j0 < full; j0 += 8) {
                    int j = Math.min(j0, full - 8);
                    transpose8(w, src + c0 * ld + j, ld, m, tmp, wt, j * COLS + c0);
                }
            }
        }
        for (int c = 0; c < COLS; c++) {
            int row = src + c * ld;
            for (int j = c < fastRows ? fastJ : 0; j < m; j++) {
                wt[j * COLS + c] = c >= rows ? 0
                        : at(w, row, r, j) + (at(w, row, r, m + j) << 21) + (at(w, row, r, 2 * m + j) << 43);
            }
        }
    }

    /**
     * W of 8 triples (at w[src], w[src + m], w[src + 2m]) of each of 8 rows (stride ld), stored transposed:
     * wt[dst + j*COLS + c]. The rows are encoded through tmp [64] in a loop: a helper returning a vector is not
     * inlined this deep, and a vector that is not inlined gets boxed.
     */
    private static void transpose8(byte[] w, int src, int ld, int m, long[] tmp, long[] wt, int dst) {
        for (int i = 0; i < 8; i++) {
            int row = src + i * ld;
            widen(w, row).add(widen(w, row + m).lanewise(VectorOperators.LSHL, 21))
                    .add(widen(w, row + 2 * m).lanewise(VectorOperators.LSHL, 43)).intoArray(tmp, 8 * i);
        }
        LongVector r0 = LongVector.fromArray(S, tmp, 0), r1 = LongVector.fromArray(S, tmp, 8);
        LongVector r2 = LongVector.fromArray(S, tmp, 16), r3 = LongVector.fromArray(S, tmp, 24);
        LongVector r4 = LongVector.fromArray(S, tmp, 32), r5 = LongVector.fromArray(S, tmp, 40);
        LongVector r6 = LongVector.fromArray(S, tmp, 48), r7 = LongVector.fromArray(S, tmp, 56);
        // Butterfly stage b swaps index bit b of row and lane (as WeightPacker does for 16 floats).
        LongVector lo = LO[0], hi = HI[0], t;
        t = lo.selectFrom(r0, r1); r1 = hi.selectFrom(r0, r1); r0 = t;
        t = lo.selectFrom(r2, r3); r3 = hi.selectFrom(r2, r3); r2 = t;
        t = lo.selectFrom(r4, r5); r5 = hi.selectFrom(r4, r5); r4 = t;
        t = lo.selectFrom(r6, r7); r7 = hi.selectFrom(r6, r7); r6 = t;
        lo = LO[1];
        hi = HI[1];
        t = lo.selectFrom(r0, r2); r2 = hi.selectFrom(r0, r2); r0 = t;
        t = lo.selectFrom(r1, r3); r3 = hi.selectFrom(r1, r3); r1 = t;
        t = lo.selectFrom(r4, r6); r6 = hi.selectFrom(r4, r6); r4 = t;
        t = lo.selectFrom(r5, r7); r7 = hi.selectFrom(r5, r7); r5 = t;
        lo = LO[2];
        hi = HI[2];
        t = lo.selectFrom(r0, r4); r4 = hi.selectFrom(r0, r4); r0 = t;
        t = lo.selectFrom(r1, r5); r5 = hi.selectFrom(r1, r5); r1 = t;
        t = lo.selectFrom(r2, r6); r6 = hi.selectFrom(r2, r6); r2 = t;
        t = lo.selectFrom(r3, r7); r7 = hi.selectFrom(r3, r7); r3 = t;
        r0.intoArray(wt, dst);
        r1.intoArray(wt, dst + COLS);
        r2.intoArray(wt, dst + 2 * COLS);
        r3.intoArray(wt, dst + 3 * COLS);
        r4.intoArray(wt, dst + 4 * COLS);
        r5.intoArray(wt, dst + 5 * COLS);
        r6.intoArray(wt, dst + 6 * COLS);
        r7.intoArray(wt, dst + 7 * COLS);
    }

    /** Input i of the r inputs at a[src], or 0 past them. */
    private static long at(byte[] a, int src, int r, int i) {
        return i < r ? a[src + i] : 0;
    }

    /** L int8 values at a[off] sign-extended to longs. */
    private static LongVector widen(byte[] a, int off) {
        return (LongVector) ByteVector.fromArray(SB, a, off).convertShape(VectorOperators.B2L, S, 0);
    }
}
