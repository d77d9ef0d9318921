package sq.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode int8 matmul (T = 1): acc[o] = sum_i x[i] * W[o, i], int32, W int8 [out, in] row-major as stored. Memory
 * bound like the fp32 {@link Gemv}, but on a quarter of the bytes, so it needs ~4x the multiply rate per byte.
 *
 * <p>x is widened to int32 once per call; each pass streams {@link #ROWS} weight rows, sign-extending 16 bytes to
 * 16 ints and multiplying in int32 (exact: |x*w| &lt;= 2^14, and rows are shorter than 2^17). Tried on Zen 5
 * (16 lanes), 4096x4096 from memory, 2 threads: this ~3 ops per 16 weights keeps up with memory; widening to
 * shorts, multiplying 32 lanes and splitting the products into int halves was no faster (7 ops per 32).
 */
final class Int8Gemv {

    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final int L = SI.length();
    /** Bytes with as many lanes as SI: one load feeds one widened vector. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final int ROWS = 4;
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
            IntVector a0 = IntVector.zero(SI), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < bound; i += L) {
                IntVector v = IntVector.fromArray(SI, x, i);
                a0 = a0.add(widen(w, w0 + i).mul(v));
                a1 = a1.add(widen(w, w1 + i).mul(v));
                a2 = a2.add(widen(w, w2 + i).mul(v));
                a3 = a3.add(widen(w, w3 + i).mul(v));
            }
            int s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            int s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < k; i++) {
                s0 += x[i] * w[w0 + i];
                s1 += x[i] * w[w1 + i];
                s2 += x[i] * w[w2 + i];
                s3 += x[i] * w[w3 + i];
            }
            acc[j] = s0;
            acc[j + 1] = s1;
            acc[j + 2] = s2;
            acc[j + 3] = s3;
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
