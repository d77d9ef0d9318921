package sq.kernels;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 GEMM micro-kernel: a {@link #ROWS} x {@link #COLS} tile (tokens x output features) of exact int32 dot
 * products, as outer products over packed triples (see {@link Int8Packer}): one 64-bit multiply of a packed weight
 * triple by a packed activation triple adds three int8 products to bits 43..63 of the lane, so a LongVector of 8
 * lanes does 24 multiply-adds in 2 instructions (mul + add). Accumulators start at {@link #BIAS} so that an arithmetic
 * shift recovers the sum, and are flushed into the long tile every {@link #FLUSH} triples, before bits 43..63 could
 * overflow.
 *
 * <p>Why this form: the Vector API has no int8/int16 dot-product instruction (VNNI, pmaddwd), and on AVX-512 each
 * alternative costs about one instruction per 8 multiply-adds. Measured single-threaded on Zen 5, L1-resident tile
 * loops: int32 (bytes widened, vpmulld + add, 8x2 tile) 210 GOP/s; int16 products of +128-offset operands split
 * into int32 halves (mul, shift, 2 adds; 6x2) 255; fp32 FMA on exactly converted values 264; these packed triples
 * 330 without and ~290 with the flushes (the 64-bit multiplies are the limit: 3x4 with flushes into registers, 5x4
 * and 6x4 tiles were within noise of 4x4; fp32 FMA tiles mixed in did not add throughput). A dot-product layout of the
 * same triples (4x4, lanes along k) reached only 215. C2's auto-vectorized pmaddwd idiom (MulAddS2I) only fires on
 * plain array loops, out[i] += a[2i]*b[2i] + a[2i+1]*b[2i+1]: 85 GOP/s, bound by loading and storing the sums.
 */
final class Int8GemmKernel {

    static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Tokens per tile. */
    static final int ROWS = 4;
    /** Output features per tile: four vectors. */
    static final int COLS = 4 * L;
    /**
     * Triples per accumulation run: |one triple's sum| &lt;= 3 * 2^14, and the sum of 21 of them still fits bits 43..63
     * signed (21 * 3 * 2^14 &lt; 2^20) while the low fields stay within [-2^42, 2^42).
     */
    static final int FLUSH = 21;
    /** 2^42: the low fields (signed, |.| &lt; 2^42) plus this stay in [0, 2^43), so (acc &gt;&gt; 43) is exactly the dot product. */
    static final long BIAS = 1L << 42;
    static final int SHIFT = 43;

    private Int8GemmKernel() {
    }

    /**
     * c[cOff + r*COLS + j] += sum_{q &lt; kt} dot3(x triple [r][q], w triple [q][j]) for r &lt; ROWS, j &lt; COLS.
     *
     * @param xp packed activations: triple q of token r at xp[xOff + r*ldx + q]
     * @param wt packed weights [kt][COLS] at wtOff
     */
    static void run(long[] xp, int xOff, int ldx, long[] wt, int wtOff, int kt, long[] c, int cOff) {
        int x0 = xOff, x1 = x0 + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
        LongVector bias = LongVector.broadcast(S, BIAS);
        for (int q0 = 0; q0 < kt; q0 += FLUSH) {
            int q1 = Math.min(kt, q0 + FLUSH);
            LongVector a00 = bias, a01 = bias, a02 = bias, a03 = bias, a10 = bias, a11 = bias, a12 = bias, a13 = bias;
            LongVector a20 = bias, a21 = bias, a22 = bias, a23 = bias, a30 = bias, a31 = bias, a32 = bias, a33 = bias;
            for (int q = q0; q < q1; q++) {
                int wq = wtOff + q * COLS;
                LongVector w0 = LongVector.fromArray(S, wt, wq), w1 = LongVector.fromArray(S, wt, wq + L);
                LongVector w2 = LongVector.fromArray(S, wt, wq + 2 * L), w3 = LongVector.fromArray(S, wt, wq + 3 * L);
                LongVector v = LongVector.broadcast(S, xp[x0 + q]);
                a00 = a00.add(w0.mul(v));
                a01 = a01.add(w1.mul(v));
                a02 = a02.add(w2.mul(v));
                a03 = a03.add(w3.mul(v));
                v = LongVector.broadcast(S, xp[x1 + q]);
                a10 = a10.add(w0.mul(v));
                a11 = a11.add(w1.mul(v));
                a12 = a12.add(w2.mul(v));
                a13 = a13.add(w3.mul(v));
                v = LongVector.broadcast(S, xp[x2 + q]);
                a20 = a20.add(w0.mul(v));
                a21 = a21.add(w1.mul(v));
                a22 = a22.add(w2.mul(v));
                a23 = a23.add(w3.mul(v));
                v = LongVector.broadcast(S, xp[x3 + q]);
                a30 = a30.add(w0.mul(v));
                a31 = a31.add(w1.mul(v));
                a32 = a32.add(w2.mul(v));
                a33 = a33.add(w3.mul(v));
            }
            // Written out: C2 stops inlining a helper here (node count), and a non-inlined vector argument is boxed.
            int c0 = cOff, c1 = c0 + COLS, c2 = c1 + COLS, c3 = c2 + COLS;
            a00.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c0)).intoArray(c, c0);
            a01.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c0 + L)).intoArray(c, c0 + L);
            a02.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c0 + 2 * L)).intoArray(c, c0 + 2 * L);
            a03.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c0 + 3 * L)).intoArray(c, c0 + 3 * L);
            a10.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c1)).intoArray(c, c1);
            a11.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c1 + L)).intoArray(c, c1 + L);
            a12.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c1 + 2 * L)).intoArray(c, c1 + 2 * L);
            a13.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c1 + 3 * L)).intoArray(c, c1 + 3 * L);
            a20.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c2)).intoArray(c, c2);
            a21.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c2 + L)).intoArray(c, c2 + L);
            a22.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c2 + 2 * L)).intoArray(c, c2 + 2 * L);
            a23.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c2 + 3 * L)).intoArray(c, c2 + 3 * L);
            a30.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c3)).intoArray(c, c3);
            a31.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c3 + L)).intoArray(c, c3 + L);
            a32.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c3 + 2 * L)).intoArray(c, c3 + 2 * L);
            a33.lanewise(VectorOperators.ASHR, SHIFT).add(LongVector.fromArray(S, c, c3 + 3 * L)).intoArray(c, c3 + 3 * L);
        }
    }
}
