package sq.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode int8 matmul (T = 1): acc[o] = sum_i x[i] * W[o, i], int32, W int8 [out, in] row-major as stored. Memory
 * bound like the fp32 {@link Gemv}, on a quarter of the bytes, but with ~10x the instructions per byte: from memory a
 * core is limited by how many loads it keeps in flight, so what counts is instructions per weight.
 *
 * <p>x is widened to int32 once per call; each pass streams {@link #ROWS} weight rows, sign-extending 16 bytes to
 * 16 ints and multiplying in int32 (exact: |x*w| &lt;= 2^14, and rows are shorter than 2^17), ~3 instructions per 16
 * weights. Measured on Zen 5, one thread, 4096x4096: 8 rows per pass 27 GB/s from memory (69 in cache), 4 rows 21
 * (57). Also tried: 32-lane int16 products with the activations split into nibbles (exact int16 accumulators,
 * widened every 512 inputs) 16 (56); int8 -&gt; float + FMA, exact in runs of 1024: 58 in cache; one 64-byte load
 * widened in four parts: 16 (41).
 */
final class Int8Gemv {

    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final int L = SI.length();
    /** Bytes with as many lanes as SI: one load feeds one widened vector. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final int ROWS = 8;
    /** Outputs handed to the epilogue at a time. */
    private static final int CHUNK = 256;

    /** Per-thread buffers, reused across calls. */
    private static final class Scratch {
        int[] x = new int[0];
        final int[] acc = new int[CHUNK];

        int[] x(int n) {
            if (x.length < n) x = new int[n];
            return x;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Int8Gemv() {
    }

    /** Dot products of x[xOff, xOff + k) with rows W[o, :k] at wOff + o*ldw for o &lt; out, into the epilogue. */
    static void run(byte[] x, int xOff, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        int[] xi = SCRATCH.get().x(k);
        for (int i = 0; i < k; i++) xi[i] = x[xOff + i];
        Parallel.forRange((out + CHUNK - 1) / CHUNK, (long) k * out, (c0, c1) -> {
            int[] acc = SCRATCH.get().acc;
            for (int c = c0; c < c1; c++) {
                int o0 = c * CHUNK, n = Math.min(CHUNK, out - o0);
                rows(xi, w, wOff + o0 * ldw, ldw, k, n, acc);
                epilogue.write(acc, n, 1, o0, n);
            }
        });
    }

    /** acc[j] = dot(x, W row j) for j &lt; n, rows at w[wOff + j*ldw]. */
    private static void rows(int[] x, byte[] w, int wOff, int ldw, int k, int n, int[] acc) {
        int bound = SI.loopBound(k);
        int j = 0;
        for (; j + ROWS <= n; j += ROWS) {
            int w0 = wOff + j * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            int w4 = w3 + ldw, w5 = w4 + ldw, w6 = w5 + ldw, w7 = w6 + ldw;
            IntVector a0 = IntVector.zero(SI), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int i = 0; i < bound; i += L) {
                IntVector v = IntVector.fromArray(SI, x, i);
                a0 = a0.add(widen(w, w0 + i).mul(v));
                a1 = a1.add(widen(w, w1 + i).mul(v));
                a2 = a2.add(widen(w, w2 + i).mul(v));
                a3 = a3.add(widen(w, w3 + i).mul(v));
                a4 = a4.add(widen(w, w4 + i).mul(v));
                a5 = a5.add(widen(w, w5 + i).mul(v));
                a6 = a6.add(widen(w, w6 + i).mul(v));
                a7 = a7.add(widen(w, w7 + i).mul(v));
            }
            int s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            int s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            int s4 = a4.reduceLanes(VectorOperators.ADD), s5 = a5.reduceLanes(VectorOperators.ADD);
            int s6 = a6.reduceLanes(VectorOperators.ADD), s7 = a7.reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < k; i++) {
                int v = x[i];
                s0 += v * w[w0 + i];
                s1 += v * w[w1 + i];
                s2 += v * w[w2 + i];
                s3 += v * w[w3 + i];
                s4 += v * w[w4 + i];
                s5 += v * w[w5 + i];
                s6 += v * w[w6 + i];
                s7 += v * w[w7 + i];
            }
            acc[j] = s0;
            acc[j + 1] = s1;
            acc[j + 2] = s2;
            acc[j + 3] = s3;
            acc[j + 4] = s4;
            acc[j + 5] = s5;
            acc[j + 6] = s6;
            acc[j + 7] = s7;
        }
        for (; j < n; j++) {
            int w0 = wOff + j * ldw, s = 0;
            for (int i = 0; i < k; i++) s += x[i] * w[w0 + i];
            acc[j] = s;
        }
    }

    /** L int8 weights at w[off] sign-extended to int32 lanes. */
    private static IntVector widen(byte[] w, int off) {
        return (IntVector) ByteVector.fromArray(SB, w, off).convertShape(VectorOperators.B2I, SI, 0);
    }
}
