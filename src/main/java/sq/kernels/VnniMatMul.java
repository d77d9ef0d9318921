package sq.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The int8 matmuls on the native VNNI kernels ({@link Vnni}), threaded like the pure-Java ones and handing the same
 * blocks to the same {@link Int8Epilogue}s. Activations are first offset by 128 into unsigned bytes (vpdpbusd
 * multiplies unsigned by signed), once per call; the kernels take the weights' column sums off again.
 *
 * <p>Prefill (T &gt; 1): threads own strips of {@link Vnni#NR} output features; per strip the kernel packs each k block
 * of W (NR x {@link Vnni#KC} bytes, in L1) and sweeps all tokens over it, into a [T, NR] int32 tile that goes to the
 * epilogue. Decode (T = 1): chunks of rows, each row a run of vpdpbusd along k.
 *
 * <p>W is a heap array or a segment of native memory (a mapped safetensors file): the kernels get its address either
 * way and read it in place, in the file's row-major layout (the GEMM packs each k block as it goes, as for arrays).
 */
final class VnniMatMul {

    private static final int NR = Vnni.NR;
    /** Decode outputs per epilogue call and unit of work split between threads, as in {@link Int8Gemv}. */
    private static final int CHUNK = 64;

    /** Per-thread buffers, reused across calls; sized for the largest call seen. */
    private static final class Scratch {
        final byte[] wp = new byte[NR * Vnni.KC];
        final int[] acc = new int[CHUNK];
        byte[] xu = new byte[0];
        int[] c = new int[0];

        byte[] xu(int n) {
            if (xu.length < n) xu = new byte[n];
            return xu;
        }

        int[] c(int n) {
            if (c.length < n) c = new int[n];
            return c;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VnniMatMul() {
    }

    /** As {@link Int8Gemm#run}: dot products of rows x[xOff + t*ldx, +k) and w[wOff + o*ldw, +k), T &gt; 1. */
    static void gemm(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        gemm(x, xOff, ldx, T, MemorySegment.ofArray(w), wOff, ldw, k, out, epilogue);
    }

    /** The same on a segment of W (heap or native), wOff + out*ldw within int range (checked by {@link Int8MatMul}). */
    static void gemm(byte[] x, int xOff, int ldx, int T, MemorySegment w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        byte[] xu = offset(x, xOff, ldx, T, k);
        Parallel.forRange((out + NR - 1) / NR, (long) T * k * out, (s0, s1) -> {
            Scratch s = SCRATCH.get();
            int[] c = s.c(T * NR);
            for (int strip = s0; strip < s1; strip++) {
                int o = strip * NR, cols = Math.min(NR, out - o);
                Vnni.gemm(xu, 0, T, w, wOff + o * ldw, ldw, k, cols, c, s.wp);
                epilogue.write(c, NR, T, o, cols);
            }
        });
    }

    /** The same on weights packed once ({@link Int8PackedWeights} built while the native kernels run). */
    static void gemm(byte[] x, int xOff, int ldx, int T, Int8PackedWeights packed, Int8Epilogue epilogue) {
        int k = packed.in(), out = packed.out();
        byte[] xu = offset(x, xOff, ldx, T, k);
        Parallel.forRange((out + NR - 1) / NR, (long) T * k * out, (s0, s1) -> {
            int[] c = SCRATCH.get().c(T * NR);
            for (int strip = s0; strip < s1; strip++) {
                int o = strip * NR;
                Vnni.gemmPacked(xu, 0, T, packed.vnni(), packed.colSums(), strip, k, c);
                epilogue.write(c, NR, T, o, Math.min(NR, out - o));
            }
        });
    }

    /** As {@link Int8Gemv#run}: T = 1. */
    static void gemv(byte[] x, int xOff, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        gemv(x, xOff, MemorySegment.ofArray(w), wOff, ldw, k, out, epilogue);
    }

    /** The same on a segment of W (heap or native). */
    static void gemv(byte[] x, int xOff, MemorySegment w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        byte[] xu = offset(x, xOff, k, 1, k);
        Parallel.forRange((out + CHUNK - 1) / CHUNK, (long) k * out, (c0, c1) -> {
            int[] acc = SCRATCH.get().acc;
            for (int c = c0; c < c1; c++) {
                int o = c * CHUNK, n = Math.min(CHUNK, out - o);
                Vnni.gemv(xu, 0, w, wOff + o * ldw, ldw, k, n, acc);
                epilogue.write(acc, n, 1, o, n);
            }
        });
    }

    /** The calling thread's buffer of x offset by 128, [T][ldu(k)], tokens spread over the threads. */
    private static byte[] offset(byte[] x, int xOff, int ldx, int T, int k) {
        int ldu = Vnni.ldu(k);
        byte[] xu = SCRATCH.get().xu(T * ldu);
        Parallel.forRange(T, (long) T * k, (t0, t1) -> Vnni.offsetX(x, xOff + t0 * ldx, ldx, t1 - t0, k, xu, t0 * ldu));
        return xu;
    }
}
