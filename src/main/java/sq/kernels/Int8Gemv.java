package sq.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode int8 matmul (T = 1): acc[o] = sum_i x[i] * W[o, i], int32, W int8 [out, in] row-major as stored. Memory
 * bound like the fp32 {@link Gemv}, on a quarter of the bytes, but with several instructions per weight where fp32
 * needs one FMA per 16: what counts is instructions per weight.
 *
 * <p>The form that needs the fewest without a dot-product instruction (pmaddwd/VNNI are not in the Vector API) is
 * pmaddwd done by hand: x is widened to int16 once per call; per pass over {@link #ROWS} rows, each 64 weights are
 * two sign-extended 32-lane int16 vectors, multiplied by x in int16 (exact: |x*w| &lt;= 2^14) and added pairwise in
 * int16. The pair sum P lies in [-32512, 32768], one value too wide for int16, so it is offset by {@link #OFFSET}
 * into [0, 65280] and read back as unsigned: each int32 lane holds two such halves, added into the accumulator with a
 * mask and a shift; the offsets are subtracted at the end. All int32 sums wrap, so the result is exact whenever the
 * true dot product fits an int. ~10 instructions per 64 weights; measured here (Zen 5, 2 threads, 20 matrices
 * 5632x2048 from memory) 34-37 GB/s against 26-33 for the previous form (bytes widened to int32, vpmulld, 8 rows:
 * 12 per 64), which was the best of: 4 rows 21, int16 products with nibble-split activations 16, int8 -&gt; float +
 * FMA 58 in cache only. Two rows per pass beat four and eight here (fewer concurrent streams, no spills).
 */
final class Int8Gemv {

    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
    /** int16 lanes per vector; a step covers two vectors. */
    private static final int L = SS.length(), STEP = 2 * L;
    /** Bytes with as many lanes as SS: one load feeds one widened vector. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, SS.vectorShape());
    static final int ROWS = 2;
    /** Moves a pair sum in [-32512, 32768] into [0, 65280], which int16 bits hold as unsigned. */
    static final short OFFSET = 32512;
    /**
     * Outputs handed to the epilogue at a time, and the unit of work split between threads: small enough that the
     * 256-output k/v projections of a GQA model still run on every thread.
     */
    private static final int CHUNK = 64;

    /** Per-thread buffers, reused across calls. */
    private static final class Scratch {
        short[] x = new short[0];
        final int[] acc = new int[CHUNK];

        short[] x(int n) {
            if (x.length < n) x = new short[n];
            return x;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Int8Gemv() {
    }

    /** Dot products of x[xOff, xOff + k) with rows W[o, :k] at wOff + o*ldw for o &lt; out, into the epilogue. */
    static void run(byte[] x, int xOff, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        short[] xs = SCRATCH.get().x(k);
        for (int i = 0; i < k; i++) xs[i] = x[xOff + i];
        Parallel.forRange((out + CHUNK - 1) / CHUNK, (long) k * out, (c0, c1) -> {
            int[] acc = SCRATCH.get().acc;
            for (int c = c0; c < c1; c++) {
                int o0 = c * CHUNK, n = Math.min(CHUNK, out - o0);
                rows(xs, w, wOff + o0 * ldw, ldw, k, n, acc);
                epilogue.write(acc, n, 1, o0, n);
            }
        });
    }

    /** acc[j] = dot(x, W row j) for j &lt; n, rows at w[wOff + j*ldw]. */
    private static void rows(short[] x, byte[] w, int wOff, int ldw, int k, int n, int[] acc) {
        int bound = k / STEP * STEP;
        // each step adds 2 * OFFSET to each int lane (int arithmetic wraps; so does the sum it is taken from)
        int offsets = bound / STEP * 2 * OFFSET * SI.length();
        ShortVector off = ShortVector.broadcast(SS, OFFSET);
        int j = 0;
        for (; j + ROWS <= n; j += ROWS) {
            int w0 = wOff + j * ldw, w1 = w0 + ldw;
            IntVector a0 = IntVector.zero(SI), a1 = a0;
            for (int i = 0; i < bound; i += STEP) {
                ShortVector xa = ShortVector.fromArray(SS, x, i), xb = ShortVector.fromArray(SS, x, i + L);
                IntVector p0 = widen(w, w0 + i).mul(xa).add(widen(w, w0 + i + L).mul(xb)).add(off).reinterpretAsInts();
                IntVector p1 = widen(w, w1 + i).mul(xa).add(widen(w, w1 + i + L).mul(xb)).add(off).reinterpretAsInts();
                a0 = a0.add(p0.and(0xFFFF)).add(p0.lanewise(VectorOperators.LSHR, 16));
                a1 = a1.add(p1.and(0xFFFF)).add(p1.lanewise(VectorOperators.LSHR, 16));
            }
            int s0 = a0.reduceLanes(VectorOperators.ADD) - offsets, s1 = a1.reduceLanes(VectorOperators.ADD) - offsets;
            for (int i = bound; i < k; i++) {
                s0 += x[i] * w[w0 + i];
                s1 += x[i] * w[w1 + i];
            }
            acc[j] = s0;
            acc[j + 1] = s1;
        }
        for (; j < n; j++) {
            int w0 = wOff + j * ldw;
            IntVector a0 = IntVector.zero(SI);
            for (int i = 0; i < bound; i += STEP) {
                IntVector p0 = widen(w, w0 + i).mul(ShortVector.fromArray(SS, x, i))
                        .add(widen(w, w0 + i + L).mul(ShortVector.fromArray(SS, x, i + L))).add(off).reinterpretAsInts();
                a0 = a0.add(p0.and(0xFFFF)).add(p0.lanewise(VectorOperators.LSHR, 16));
            }
            int s = a0.reduceLanes(VectorOperators.ADD) - offsets;
            for (int i = bound; i < k; i++) s += x[i] * w[w0 + i];
            acc[j] = s;
        }
    }

    /** L int8 weights at w[off] sign-extended to int16 lanes. */
    private static ShortVector widen(byte[] w, int off) {
        return (ShortVector) ByteVector.fromArray(SB, w, off).convertShape(VectorOperators.B2S, SS, 0);
    }
}
