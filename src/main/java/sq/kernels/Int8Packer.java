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
        for (int j = bound; j < m; j++) xp[dst + j] = at(x, src, r, 2 * m + j) + (at(x, src, r, m + j) << 22) + (at(x, src, r, j) << 43);
    }

    /**
     * wt[j*COLS + c] = W of triple j of the r inputs of row c (at w[src + c*ld]) for c &lt; rows, j &lt; triples(r);
     * columns rows &lt;= c &lt; COLS are zero, so a partial strip computes zeros there.
     */
    static void packW(byte[] w, int src, int ld, int rows, int r, long[] wt) {
        int m = triples(r), full = Math.max(r - 2 * m, 0);
        int bound = S.loopBound(full);
        long[] lanes = new long[L];
        for (int c = 0; c < COLS; c++) {
            if (c >= rows) {
                for (int j = 0; j < m; j++) wt[j * COLS + c] = 0;
                continue;
            }
            int row = src + c * ld;
            for (int j = 0; j < bound; j += L) {
                // Encoded along j; the kernel wants them along c, one per packed row.
                widen(w, row + j).add(widen(w, row + m + j).lanewise(VectorOperators.LSHL, 21))
                        .add(widen(w, row + 2 * m + j).lanewise(VectorOperators.LSHL, 43)).intoArray(lanes, 0);
                for (int l = 0; l < L; l++) wt[(j + l) * COLS + c] = lanes[l];
            }
            for (int j = bound; j < m; j++) wt[j * COLS + c] = at(w, row, r, j) + (at(w, row, r, m + j) << 21) + (at(w, row, r, 2 * m + j) << 43);
        }
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
