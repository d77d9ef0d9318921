package sq.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode int8 matmul (T = 1): acc[o] = sum_i x[i] * W[o, i], int32, W int8 [out, in] row-major as stored. Memory
 * bound like the fp32 {@link Gemv}, on a quarter of the bytes, but with several instructions per weight where fp32
 * needs one FMA per 16: what counts is instructions per weight.
 *
 * <p>The form that needs the fewest without a dot-product instruction (pmaddwd/VNNI are not in the Vector API) is
 * pmaddwd done by hand. 64 weights are loaded as one vector and read as 32 int16 lanes, each holding an even weight
 * (low byte) and an odd one (high byte): shifts sign-extend them in place, no lane-crossing widening. x is widened to
 * int16 once per call and laid out per 64-input step as its 32 even then its 32 odd inputs, so both products are
 * lane-aligned; they are exact in int16 (|x*w| &lt;= 2^14) and added pairwise. The pair sum P lies in [-32512, 32768],
 * one value too wide for int16, so it is offset by {@link #OFFSET} into [0, 65280] and read back as unsigned: each
 * int32 lane holds two such halves; the lane is added whole into one accumulator and its high half (a shift) into a
 * second, from which the low halves are recovered once per row (3 instructions per step where a mask, a shift and two
 * adds took 4); the offsets are subtracted at the end. All int32 sums wrap, so the result is exact whenever the true dot product fits an int.
 *
 * <p>Measured (Zen 5, whole TinyLlama decode step, linears only): this form 37-40 ms per token on one thread and
 * 22-28 on two, against 44-46 and 30-33 for the same arithmetic on bytes widened with vpmovsxbw (two 32-byte loads),
 * which in turn beat (20 matrices 5632x2048 from memory, 2 threads) bytes widened to int32 with vpmulld, 8 rows
 * (26-33 GB/s vs 34-37), 4 rows (21), int16 products of nibble-split activations (16), int8 -&gt; float + FMA (58 in
 * cache only). Two rows per pass beat four and eight here (fewer concurrent streams, no spills).
 */
final class Int8Gemv {

    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
    /** int16 lanes per vector; a step covers two vectors. */
    private static final int L = SS.length(), STEP = 2 * L;
    /** A step's 64 weights (with 512-bit vectors) in one load. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, SS.vectorShape());
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, SS.vectorShape());
    static final int ROWS = 2;
    /** Moves a pair sum in [-32512, 32768] into [0, 65280], which int16 bits hold as unsigned. */
    static final short OFFSET = 32512;
    /**
     * Outputs handed to the epilogue at a time, and the unit of work split between threads: small enough that the
     * 256-output k/v projections of a GQA model still run on every thread.
     */
    private static final int CHUNK = 64;
    /** Bytes of weight rows copied out of a segment at a time (whole row pairs): they stay in L2 while read. */
    private static final int COPY_BYTES = 64 << 10;

    /** Per-thread buffers, reused across calls. */
    private static final class Scratch {
        short[] x = new short[0];
        byte[] w = new byte[0];
        final int[] acc = new int[CHUNK];

        short[] x(int n) {
            if (x.length < n) x = new short[n];
            return x;
        }

        byte[] w(int n) {
            if (w.length < n) w = new byte[n];
            return w;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Int8Gemv() {
    }

    /** Dot products of x[xOff, xOff + k) with rows W[o, :k] at wOff + o*ldw for o &lt; out, into the epilogue. */
    static void run(byte[] x, int xOff, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        run(x, xOff, w, null, wOff, ldw, k, out, epilogue);
    }

    /**
     * The same with W in a memory segment (off the heap: a mapped file). Rows are copied into a per-thread array about
     * 64 KB at a time and read from there by the array loop: vector loads straight from a mapped segment ran this loop
     * at 0.4-0.8x the array's rate (Int8SegmentBench, JAVA, tokens = 1), the copy costs two instructions per 64 bytes.
     */
    static void run(byte[] x, int xOff, MemorySegment w, long wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        run(x, xOff, null, w, wOff, ldw, k, out, epilogue);
    }

    /** W is the array w, or the segment ws where w is null. */
    private static void run(byte[] x, int xOff, byte[] w, MemorySegment ws, long wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        short[] xs = SCRATCH.get().x(k);
        int bound = k / STEP * STEP;
        for (int b = 0; b < bound; b += STEP) { // per step: even inputs, then odd ones (read as int16 pairs, like W)
            ShortVector pairs = ByteVector.fromArray(SB, x, xOff + b).reinterpretAsShorts();
            even(pairs).intoArray(xs, b);
            odd(pairs).intoArray(xs, b + L);
        }
        for (int i = bound; i < k; i++) xs[i] = x[xOff + i];
        Parallel.forRange((out + CHUNK - 1) / CHUNK, (long) k * out, (c0, c1) -> {
            Scratch s = SCRATCH.get();
            int[] acc = s.acc;
            int g = Math.max(ROWS, COPY_BYTES / Math.max(1, k) / ROWS * ROWS); // rows per copy
            for (int c = c0; c < c1; c++) {
                int o0 = c * CHUNK, n = Math.min(CHUNK, out - o0);
                if (w != null) rows(xs, w, (int) wOff + o0 * ldw, ldw, k, n, acc, 0);
                else {
                    byte[] buf = s.w(Math.min(g, n) * k);
                    for (int j = 0; j < n; j += g) {
                        int m = Math.min(g, n - j);
                        long src = wOff + (long) (o0 + j) * ldw;
                        if (ldw == k) MemorySegment.copy(ws, ValueLayout.JAVA_BYTE, src, buf, 0, m * k);
                        else for (int r = 0; r < m; r++) MemorySegment.copy(ws, ValueLayout.JAVA_BYTE, src + (long) r * ldw, buf, r * k, k);
                        rows(xs, buf, 0, k, k, m, acc, j);
                    }
                }
                epilogue.write(acc, n, 1, o0, n);
            }
        });
    }

    /** acc[accOff + j] = dot(x, W row j) for j &lt; n, rows at w[wOff + j*ldw]; x as {@link #run} lays it out. */
    private static void rows(short[] x, byte[] w, int wOff, int ldw, int k, int n, int[] acc, int accOff) {
        int bound = k / STEP * STEP;
        // each step adds 2 * OFFSET to each int lane (int arithmetic wraps; so does the sum it is taken from)
        int offsets = bound / STEP * 2 * OFFSET * SI.length();
        ShortVector off = ShortVector.broadcast(SS, OFFSET);
        int j = 0;
        for (; j + ROWS <= n; j += ROWS) {
            int w0 = wOff + j * ldw, w1 = w0 + ldw;
            IntVector a0 = IntVector.zero(SI), a1 = a0, h0 = a0, h1 = a0;
            for (int i = 0; i < bound; i += STEP) {
                ShortVector xe = ShortVector.fromArray(SS, x, i), xo = ShortVector.fromArray(SS, x, i + L);
                ShortVector s0 = ByteVector.fromArray(SB, w, w0 + i).reinterpretAsShorts();
                ShortVector s1 = ByteVector.fromArray(SB, w, w1 + i).reinterpretAsShorts();
                IntVector p0 = even(s0).mul(xe).add(odd(s0).mul(xo)).add(off).reinterpretAsInts();
                IntVector p1 = even(s1).mul(xe).add(odd(s1).mul(xo)).add(off).reinterpretAsInts();
                a0 = a0.add(p0);
                h0 = h0.add(p0.lanewise(VectorOperators.LSHR, 16));
                a1 = a1.add(p1);
                h1 = h1.add(p1.lanewise(VectorOperators.LSHR, 16));
            }
            int s0 = laneSums(a0, h0) - offsets, s1 = laneSums(a1, h1) - offsets;
            for (int i = bound; i < k; i++) {
                s0 += x[i] * w[w0 + i];
                s1 += x[i] * w[w1 + i];
            }
            acc[accOff + j] = s0;
            acc[accOff + j + 1] = s1;
        }
        for (; j < n; j++) {
            int w0 = wOff + j * ldw;
            IntVector a0 = IntVector.zero(SI), h0 = a0;
            for (int i = 0; i < bound; i += STEP) {
                ShortVector s0 = ByteVector.fromArray(SB, w, w0 + i).reinterpretAsShorts();
                IntVector p0 = even(s0).mul(ShortVector.fromArray(SS, x, i)).add(odd(s0).mul(ShortVector.fromArray(SS, x, i + L)))
                        .add(off).reinterpretAsInts();
                a0 = a0.add(p0);
                h0 = h0.add(p0.lanewise(VectorOperators.LSHR, 16));
            }
            int s = laneSums(a0, h0) - offsets;
            for (int i = bound; i < k; i++) s += x[i] * w[w0 + i];
            acc[accOff + j] = s;
        }
    }

    /**
     * Sum of both int16 halves of every lane, from a = the lanes added whole (high half * 2^16 + low half) and h = their
     * high halves: the low halves sum to a - 2^16 h, so the total is a - 65535 h (all mod 2^32, like the sums).
     */
    private static int laneSums(IntVector a, IntVector h) {
        return a.sub(h.mul(65535)).reduceLanes(VectorOperators.ADD);
    }

    /** The even (low-byte) weights of int16 lanes, sign-extended. */
    private static ShortVector even(ShortVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
    }

    /** The odd (high-byte) weights, sign-extended. */
    private static ShortVector odd(ShortVector pairs) {
        return pairs.lanewise(VectorOperators.ASHR, 8);
    }
}
