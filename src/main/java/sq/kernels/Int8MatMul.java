package sq.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Real W8A8 linear layer in the Hugging Face layout:
 * y[t, o] = xScale[t] * wScale[o] * sum_i xq[t, i] * wq[o, i] + bias[o], with xq int8 [T, in], wq int8 [out, in],
 * both row-major, y float [T, out]. The sum is exact int32 arithmetic; dequantization and bias are applied as each
 * output is written. T == 1 (decode) streams the int8 weights ({@link Int8Gemv}), T &gt; 1 (prefill) runs the blocked
 * GEMM ({@link Int8Gemm}); with the native kernels selected ({@link Int8Kernels}) both run on VNNI instead
 * ({@link VnniMatMul}), to the same int32 sums. Work is spread over {@link Parallel}.
 *
 * <p>W is a byte array or a {@link MemorySegment} (the entry points taking one): a slice of a memory-mapped
 * safetensors file, used in place. The native kernels read a segment's memory directly; the pure-Java GEMV loads
 * vectors from it, the pure-Java GEMM copies each block of rows into an array for its packer.
 */
public final class Int8MatMul {

    private Int8MatMul() {
    }

    /**
     * y = dequantized xq W^T + bias.
     *
     * @param wOff   where W [out, in] starts in wq
     * @param xScale per token [T], or per tensor [1]
     * @param wScale per output channel [out], or per tensor [1]
     * @param bias   [out] or null
     */
    public static void matmul(byte[] xq, float[] xScale, int T, byte[] wq, int wOff, float[] wScale, float[] bias, int in, int out,
                              float[] y) {
        run(xq, 0, in, T, wq, wOff, in, in, out, dequantize(xq, xScale, T, wq, wOff, wScale, bias, in, out, y));
    }

    /** The same with W [out, in] at the start of wq, a segment (heap or native, e.g. a mapped file). */
    public static void matmul(byte[] xq, float[] xScale, int T, MemorySegment wq, float[] wScale, float[] bias, int in, int out, float[] y) {
        if (T < 0 || in < 0 || out < 0) throw new IllegalArgumentException("negative size: T=" + T + " in=" + in + " out=" + out);
        Objects.checkFromIndexSize(0, (long) T * in, xq.length);
        checkSegment(wq, 0, in, in, out);
        run(xq, 0, in, T, wq, 0, in, in, out, epilogue(xScale, T, wScale, bias, out, y));
    }

    /**
     * The same, with the weights also packed for the prefill GEMM ({@link Int8PackedWeights#of}(wq, wOff, in, out)):
     * T &gt; 1 reads the packed copy, T == 1 streams wq.
     */
    public static void matmul(byte[] xq, float[] xScale, int T, byte[] wq, int wOff, Int8PackedWeights packed, float[] wScale,
                              float[] bias, int in, int out, float[] y) {
        if (packed.in() != in || packed.out() != out)
            throw new IllegalArgumentException("packed weights are " + packed.out() + "x" + packed.in() + ", not " + out + "x" + in);
        Int8Epilogue epilogue = dequantize(xq, xScale, T, wq, wOff, wScale, bias, in, out, y);
        if (T == 1) run(xq, 0, in, 1, wq, wOff, in, in, out, epilogue);
        else if (T > 1 && packed.isNative()) VnniMatMul.gemm(xq, 0, in, T, packed, epilogue);
        else if (T > 1) Int8Gemm.run(xq, 0, in, T, packed, epilogue);
    }

    /** Checks a linear layer's arguments; the epilogue that dequantizes into y. */
    private static Int8Epilogue dequantize(byte[] xq, float[] xScale, int T, byte[] wq, int wOff, float[] wScale, float[] bias, int in,
                                           int out, float[] y) {
        checkShapes(xq, T, wq, wOff, in, out);
        return epilogue(xScale, T, wScale, bias, out, y);
    }

    private static Int8Epilogue epilogue(float[] xScale, int T, float[] wScale, float[] bias, int out, float[] y) {
        Objects.checkFromIndexSize(0, (long) T * out, y.length);
        checkScales("xScale", xScale, T);
        checkScales("wScale", wScale, out);
        if (bias != null) Objects.checkFromIndexSize(0, out, bias.length);
        return Int8Epilogue.dequantize(xScale, wScale, bias, y, out);
    }

    /** The raw int32 accumulators: acc[t*out + o] = sum_i xq[t*in + i] * wq[o*in + i]. */
    public static void accumulate(byte[] xq, int T, byte[] wq, int in, int out, int[] acc) {
        accumulate(xq, 0, in, T, wq, 0, in, in, out, acc);
    }

    /**
     * The same over a column slice: acc[t*out + o] = sum_{i &lt; k} xq[xOff + t*ldx + i] * wq[wOff + o*ldw + i]
     * (e.g. one weight group: offsets g*groupSize, strides in).
     */
    public static void accumulate(byte[] xq, int xOff, int ldx, int T, byte[] wq, int wOff, int ldw, int k, int out, int[] acc) {
        checkDots(xq, xOff, ldx, T, wq, wOff, ldw, k, out);
        Objects.checkFromIndexSize(0, (long) T * out, acc.length);
        run(xq, xOff, ldx, T, wq, wOff, ldw, k, out, Int8Epilogue.raw(acc, out));
    }

    /**
     * Exact int32 dot products of rows x[xOff + t*ldx, +k) (t &lt; T) and w[wOff + o*ldw, +k) (o &lt; out), handed to the
     * epilogue in blocks (from several threads, disjoint blocks): for uses other than a linear layer (the int8
     * attention BMMs).
     */
    public static void dots(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        checkDots(x, xOff, ldx, T, w, wOff, ldw, k, out);
        run(x, xOff, ldx, T, w, wOff, ldw, k, out, epilogue);
    }

    /** {@link #accumulate(byte[], int, int, int, byte[], int, int, int, int, int[])} with W in a segment (heap or native). */
    public static void accumulate(byte[] xq, int xOff, int ldx, int T, MemorySegment wq, long wOff, int ldw, int k, int out, int[] acc) {
        checkDots(xq, xOff, ldx, T, k, out, ldw);
        checkSegment(wq, wOff, ldw, k, out);
        Objects.checkFromIndexSize(0, (long) T * out, acc.length);
        run(xq, xOff, ldx, T, wq, (int) wOff, ldw, k, out, Int8Epilogue.raw(acc, out));
    }

    /** {@link #dots(byte[], int, int, int, byte[], int, int, int, int, Int8Epilogue)} with W in a segment (heap or native). */
    public static void dots(byte[] x, int xOff, int ldx, int T, MemorySegment w, long wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        checkDots(x, xOff, ldx, T, k, out, ldw);
        checkSegment(w, wOff, ldw, k, out);
        run(x, xOff, ldx, T, w, (int) wOff, ldw, k, out, epilogue);
    }

    /**
     * Rows w[wOff + o*ldw, +k) for o &lt; out lie within the segment, and every offset into it fits an int (the native
     * kernels take int offsets from the segment's start; one tensor of int8 weights is far below 2 GB).
     */
    private static void checkSegment(MemorySegment w, long wOff, int ldw, int k, int out) {
        long end = out == 0 ? wOff : Math.addExact(wOff, (long) (out - 1) * ldw + k);
        if (wOff < 0 || end > w.byteSize())
            throw new IndexOutOfBoundsException("rows up to byte " + end + " from " + wOff + " in a segment of " + w.byteSize());
        if (end > Integer.MAX_VALUE) throw new IllegalArgumentException("weights span " + end + " bytes; at most 2^31 - 1 in one call");
    }

    private static void checkDots(byte[] x, int xOff, int ldx, int T, int k, int out, int ldw) {
        if (T < 0 || k < 0 || out < 0 || ldx < k || ldw < k)
            throw new IllegalArgumentException("bad sizes: T=" + T + " k=" + k + " out=" + out + " ldx=" + ldx + " ldw=" + ldw);
        if (T > 0) Objects.checkFromIndexSize(xOff, (long) (T - 1) * ldx + k, x.length);
    }

    private static void checkDots(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out) {
        checkDots(x, xOff, ldx, T, k, out, ldw);
        if (out > 0) Objects.checkFromIndexSize(wOff, (long) (out - 1) * ldw + k, w.length);
    }

    private static void run(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        if (Int8Kernels.isNative()) {
            if (T == 1) VnniMatMul.gemv(x, xOff, w, wOff, ldw, k, out, epilogue);
            else if (T > 1) VnniMatMul.gemm(x, xOff, ldx, T, w, wOff, ldw, k, out, epilogue);
        } else if (T == 1) Int8Gemv.run(x, xOff, w, wOff, ldw, k, out, epilogue);
        else if (T > 1) Int8Gemm.run(x, xOff, ldx, T, w, wOff, ldw, k, out, epilogue);
    }

    private static void run(byte[] x, int xOff, int ldx, int T, MemorySegment w, int wOff, int ldw, int k, int out, Int8Epilogue epilogue) {
        if (Int8Kernels.isNative()) {
            if (T == 1) VnniMatMul.gemv(x, xOff, w, wOff, ldw, k, out, epilogue);
            else if (T > 1) VnniMatMul.gemm(x, xOff, ldx, T, w, wOff, ldw, k, out, epilogue);
        } else if (T == 1) Int8Gemv.run(x, xOff, w, wOff, ldw, k, out, epilogue);
        else if (T > 1) Int8Gemm.run(x, xOff, ldx, T, w, wOff, ldw, k, out, epilogue);
    }

    static void checkShapes(byte[] xq, int T, byte[] wq, int wOff, int in, int out) {
        if (T < 0 || in < 0 || out < 0) throw new IllegalArgumentException("negative size: T=" + T + " in=" + in + " out=" + out);
        Objects.checkFromIndexSize(0, (long) T * in, xq.length);
        Objects.checkFromIndexSize(wOff, (long) out * in, wq.length);
    }

    static void checkScales(String what, float[] scales, int n) {
        if (scales.length != 1 && scales.length != n)
            throw new IllegalArgumentException(what + " has " + scales.length + " entries; want 1 or " + n);
    }
}
