package sq.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Prefill int8 matmul (T &gt; 1): exact int32 dot products of X[T, k] and W[out, k] (int8, row-major), handed to an
 * {@link Int8Epilogue} one strip of {@link Int8GemmKernel#COLS} output features at a time.
 *
 * <p>X is packed into triples once per call, tokens spread over the threads (all tokens, padded with zero rows to a
 * multiple of {@link Int8GemmKernel#ROWS}, block-major). Each thread owns a range of strips; per strip and block of {@link #KC}
 * inputs it packs the weights (KT x COLS longs, 32 KiB: stays in L1) and sweeps all tokens over them, accumulating in
 * a per-strip long tile [T, COLS]. So W is read from memory once per call and each packed weight is reused T times
 * from L1; a strip's sums are final after its last block, so the epilogue writes every output exactly once. Packing W
 * costs ~5% of a T = 256 call.
 */
final class Int8Gemm {

    private static final int ROWS = Int8GemmKernel.ROWS, COLS = Int8GemmKernel.COLS;
    /** Triples per block: a multiple of the kernel's flush run, and KT * COLS longs is ~32 KiB with 8-lane vectors. */
    static final int KT = 6 * Int8GemmKernel.FLUSH;
    /** Inputs per block. */
    static final int KC = 3 * KT;

    /** Per-thread buffers, reused across calls; sized for the largest call seen. */
    private static final class Scratch {
        final long[] wt = new long[KT * COLS];
        /** One block of weight rows copied out of a segment for the packer, [COLS][KC]. */
        final byte[] wb = new byte[COLS * KC];
        long[] xp = new long[0];
        long[] c = new long[0];
        int[] ci = new int[0];

        long[] xp(int n) {
            if (xp.length < n) xp = new long[n];
            return xp;
        }

        void tiles(int n) {
            if (c.length < n) {
                c = new long[n];
                ci = new int[n];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Int8Gemm() {
    }

    /** Dot products of rows x[xOff + t*ldx, +k) (t &lt; T) and w[wOff + o*ldw, +k) (o &lt; out), into the epilogue. */
    static void run(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        run(x, xOff, ldx, T, w, null, wOff, ldw, null, k, out, epilogue);
    }

    /**
     * The same with W in a memory segment (off the heap: a mapped file). The packer reads arrays, so each block of
     * weight rows (COLS x KC bytes) is first copied into a per-thread array; W is still read from memory once per call.
     */
    static void run(byte[] x, int xOff, int ldx, int T, MemorySegment w, long wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        run(x, xOff, ldx, T, null, w, wOff, ldw, null, k, out, epilogue);
    }

    /** The same with the weights packed once beforehand ({@link Int8PackedWeights}): no packing per call. */
    static void run(byte[] x, int xOff, int ldx, int T, Int8PackedWeights packed, Int8Epilogue epilogue) {
        run(x, xOff, ldx, T, null, null, 0, 0, packed, packed.in(), packed.out(), epilogue);
    }

    /** W is packed, or the array w, or the segment ws. */
    private static void run(byte[] x, int xOff, int ldx, int T, byte[] w, MemorySegment ws, long wOff, int ldw, Int8PackedWeights packed,
                            int k, int out, Int8Epilogue epilogue) {
        // xp is block-major, [blocks][rows][KT]: a block's tokens are one contiguous run, swept in order per strip.
        int blocks = (k + KC - 1) / KC, rows = (T + ROWS - 1) / ROWS * ROWS, xBlock = rows * KT;
        long[] xp = SCRATCH.get().xp(blocks * xBlock);
        Parallel.forRange(T, (long) T * k, (t0, t1) -> {
            for (int b = 0; b < blocks; b++) {
                int kb = b * KC;
                for (int t = t0; t < t1; t++) Int8Packer.packX(x, xOff + t * ldx + kb, Math.min(KC, k - kb), xp, b * xBlock + t * KT);
            }
        });
        for (int b = 0; b < blocks; b++) Arrays.fill(xp, b * xBlock + T * KT, (b + 1) * xBlock, 0L);
        Parallel.forRange((out + COLS - 1) / COLS, (long) T * k * out, (s0, s1) -> {
            Scratch s = SCRATCH.get();
            s.tiles(rows * COLS);
            for (int strip = s0; strip < s1; strip++) {
                int o = strip * COLS, cols = Math.min(COLS, out - o);
                Arrays.fill(s.c, 0, rows * COLS, 0L);
                for (int b = 0; b < blocks; b++) {
                    int kb = b * KC, r = Math.min(KC, k - kb), kt = Int8Packer.triples(r);
                    long[] wt = s.wt;
                    int wtOff = 0;
                    if (w != null) Int8Packer.packW(w, (int) wOff + o * ldw + kb, ldw, cols, r, wt);
                    else if (ws != null) {
                        for (int c = 0; c < cols; c++)
                            MemorySegment.copy(ws, ValueLayout.JAVA_BYTE, wOff + (long) (o + c) * ldw + kb, s.wb, c * KC, r);
                        Int8Packer.packW(s.wb, 0, KC, cols, r, wt);
                    } else {
                        wt = packed.data();
                        wtOff = packed.offset(strip, b);
                    }
                    for (int t = 0; t < rows; t += ROWS) Int8GemmKernel.run(xp, b * xBlock + t * KT, KT, wt, wtOff, kt, s.c, t * COLS);
                }
                // Each sum is an int8 dot product of fewer than 2^17 terms: it fits an int.
                for (int i = 0; i < T * COLS; i++) s.ci[i] = (int) s.c[i];
                epilogue.write(s.ci, COLS, T, o, cols);
            }
        });
    }
}
