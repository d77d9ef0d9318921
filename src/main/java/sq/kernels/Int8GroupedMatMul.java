package sq.kernels;

import java.util.Arrays;
import java.util.Objects;

/**
 * W8A8 with group-wise weight scales (the ZeroQuant baseline): one scale per (output row, group of groupSize
 * inputs). y[t, o] = xScale[t] * sum_g wScale[o, g] * acc_g[t, o] + bias[o], where acc_g is the exact int32 sum over
 * group g ({@link Int8MatMul#accumulate} on the column slice) and the groups are summed in float.
 *
 * <p>Correct rather than fast: one int8 matmul per group, so decode pays a parallel hand-off per group and prefill
 * repacks its activations per group.
 */
public final class Int8GroupedMatMul {

    private Int8GroupedMatMul() {
    }

    /**
     * @param wOff    where W [out, in] starts in wq
     * @param xScale  per token [T], or per tensor [1]
     * @param wScales [out, ceil(in / groupSize)] row-major
     * @param bias    [out] or null
     */
    public static void matmul(byte[] xq, float[] xScale, int T, byte[] wq, int wOff, float[] wScales, int groupSize, float[] bias,
                              int in, int out, float[] y) {
        Int8MatMul.checkShapes(xq, T, wq, wOff, in, out);
        matmul(xScale, T, wScales, groupSize, bias, in, out, y,
                (k0, k, acc) -> Int8MatMul.accumulate(xq, k0, in, T, wq, wOff + k0, in, k, out, acc));
    }

    /** The same with W [out, in] at the start of wq, a segment (heap or native, e.g. a mapped file). */
    public static void matmul(byte[] xq, float[] xScale, int T, java.lang.foreign.MemorySegment wq, float[] wScales, int groupSize,
                              float[] bias, int in, int out, float[] y) {
        if (wq.byteSize() < (long) out * in) throw new IndexOutOfBoundsException("W [" + out + ", " + in + "] in a segment of " + wq.byteSize());
        matmul(xScale, T, wScales, groupSize, bias, in, out, y,
                (k0, k, acc) -> Int8MatMul.accumulate(xq, k0, in, T, wq, k0, in, k, out, acc));
    }

    /** The int32 sums of one group of columns [k0, k0 + k) into acc [T, out]. */
    private interface GroupSums {
        void accumulate(int k0, int k, int[] acc);
    }

    private static void matmul(float[] xScale, int T, float[] wScales, int groupSize, float[] bias, int in, int out, float[] y,
                               GroupSums sums) {
        if (groupSize <= 0) throw new IllegalArgumentException("group size must be positive: " + groupSize);
        int groups = (in + groupSize - 1) / groupSize;
        if (wScales.length != (long) out * groups)
            throw new IllegalArgumentException("wScales has " + wScales.length + " entries; want " + out + " x " + groups);
        Int8MatMul.checkScales("xScale", xScale, T);
        if (bias != null) Objects.checkFromIndexSize(0, out, bias.length);
        Objects.checkFromIndexSize(0, (long) T * out, y.length);

        int[] acc = new int[T * out];
        Arrays.fill(y, 0, T * out, 0f);
        for (int g = 0; g < groups; g++) {
            int k0 = g * groupSize;
            sums.accumulate(k0, Math.min(groupSize, in - k0), acc);
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < out; o++) y[t * out + o] += wScales[o * groups + g] * acc[t * out + o];
            }
        }
        for (int t = 0; t < T; t++) {
            float xs = xScale[xScale.length == 1 ? 0 : t];
            for (int o = 0; o < out; o++) y[t * out + o] = y[t * out + o] * xs + (bias == null ? 0f : bias[o]);
        }
    }
}
