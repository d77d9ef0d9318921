package sq.quant;

import sq.kernels.Int8Quantize;

/**
 * Symmetric absmax int8 fake quantization, bit-for-bit as the reference fake_quant.py does it in float32:
 * scale = max(max|v|, 1e-5) / 127; v_q = round_half_even(v / scale) * scale. The static variant saturates to
 * [-128, 127] like real int8 kernels (dynamic scales never exceed 127 by construction).
 */
public final class Quantizer {
    public static final float QMAX = Int8Quantize.QMAX;

    private Quantizer() {
    }

    /** The scale for a block whose largest magnitude is absMax (one formula, shared with the real int8 kernels). */
    public static float scale(float absMax) {
        return Int8Quantize.scale(absMax);
    }

    /**
     * The max|x| whose scale is exactly s (a stored static scale back to the max our quantizers take):
     * s * 127, nudged by an ulp where float rounding of (s * 127) / 127 would miss s.
     */
    public static float maxForScale(float s) {
        float m = s * QMAX;
        for (int i = 0; i < 4 && scale(m) != s; i++) m = scale(m) < s ? Math.nextUp(m) : Math.nextDown(m);
        if (scale(m) != s) throw new sq.io.InputException("static scale " + s + " cannot be represented");
        return m;
    }

    static float absMax(float[] v, int from, int to) {
        float m = 0;
        for (int i = from; i < to; i++) m = Math.max(m, Math.abs(v[i]));
        return m;
    }

    /** Round-trips v[from, to) through int8 with the given scale, in place. */
    static void fake(float[] v, int from, int to, float scale) {
        for (int i = from; i < to; i++) v[i] = (float) Math.rint(v[i] / scale) * scale;
    }

    /** Same, saturating to [-128, 127] (static scales can be exceeded by unseen data). */
    static void fakeSaturating(float[] v, int from, int to, float scale) {
        for (int i = from; i < to; i++) v[i] = (float) Math.min(Math.max(Math.rint(v[i] / scale), -128), 127) * scale;
    }

    /**
     * Int8 weights with their scales. The values [out, in] sit at data[offset ..]: an array of their own, or a slice of
     * one array holding a whole decoder layer ({@link #movedTo}), which saves the Java heap's per-array rounding (a
     * 4 MiB array takes five 1 MB G1 regions: ~6 MB per TinyLlama layer). Or, with data null, in {@code mapped}: a
     * slice of a memory-mapped safetensors file used in place (nothing on the heap; see {@link #mapped}).
     *
     * @param scales one (per tensor), [out] (per channel) or [out, ceil(in / groupSize)] (per group), row-major
     */
    public record Int8Weights(byte[] data, int offset, float[] scales, WeightGranularity granularity, int groupSize, int out, int in,
                              Mapped mapped) {
        /** Weights in a mapped file: exactly out x in bytes, row-major, and the check that the file is still whole. */
        public record Mapped(java.lang.foreign.MemorySegment bytes, sq.io.MappedFileCheck file) {
        }

        public Int8Weights {
            if (mapped == null) java.util.Objects.checkFromIndexSize(offset, (long) out * in, data.length);
            else if (data != null || offset != 0 || mapped.bytes().byteSize() != (long) out * in)
                throw new IllegalArgumentException("mapped weights: " + mapped.bytes().byteSize() + " bytes for " + out + "x" + in);
        }

        /** Weights on the heap at data[offset ..]. */
        public Int8Weights(byte[] data, int offset, float[] scales, WeightGranularity granularity, int groupSize, int out, int in) {
            this(data, offset, scales, granularity, groupSize, out, in, null);
        }

        /** Weights in an array of their own. */
        public Int8Weights(byte[] q, float[] scales, WeightGranularity granularity, int groupSize, int out, int in) {
            this(q, 0, scales, granularity, groupSize, out, in);
        }

        /** Weights used where they lie in a mapped file (bytes: [out, in] int8, row-major). */
        public static Int8Weights mapped(Mapped bytes, float[] scales, WeightGranularity granularity, int groupSize, int out, int in) {
            return new Int8Weights(null, 0, scales, granularity, groupSize, out, in, bytes);
        }

        /** The int8 values [out, in], row-major, in an array of their own (the backing array if it holds only them; a copy of mapped ones). */
        public byte[] q() {
            int n = out * in;
            if (mapped != null) return mapped.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            return offset == 0 && data.length == n ? data : java.util.Arrays.copyOfRange(data, offset, offset + n);
        }

        /** The same weights copied into dst at off. */
        public Int8Weights movedTo(byte[] dst, int off) {
            if (mapped != null) java.lang.foreign.MemorySegment.copy(mapped.bytes(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, dst, off, out * in);
            else System.arraycopy(data, offset, dst, off, out * in);
            return new Int8Weights(dst, off, scales, granularity, groupSize, out, in);
        }

        /** Bytes of the int8 values and their scales. */
        public long bytes() {
            return (long) out * in + 4L * scales.length;
        }

        /** Scale of element (row, col). */
        public float scaleAt(int row, int col) {
            return switch (granularity) {
                case PER_TENSOR -> scales[0];
                case PER_CHANNEL -> scales[row];
                case PER_GROUP -> scales[row * groupsPerRow() + col / groupSize];
            };
        }

        public int groupsPerRow() {
            return (in + groupSize - 1) / groupSize;
        }

        /** q * scale, exactly what the fake-quantized weights are. */
        public float[] dequantize() {
            float[] w = new float[out * in];
            byte[] q = mapped != null ? q() : data;
            int at = mapped != null ? 0 : offset;
            for (int r = 0; r < out; r++)
                for (int c = 0; c < in; c++) w[r * in + c] = q[at + r * in + c] * scaleAt(r, c);
            return w;
        }
    }

    /** Weights [out, in] to int8 at the given granularity: scale = max(max|w| of the block, 1e-5) / 127. */
    public static Int8Weights int8(float[] w, int out, int in, WeightGranularity g, int groupSize) {
        if (g == WeightGranularity.PER_GROUP && groupSize <= 0) throw new IllegalArgumentException("group size must be positive");
        int gs = g == WeightGranularity.PER_GROUP ? groupSize : in;
        int groups = (in + gs - 1) / gs;
        float[] scales = switch (g) {
            case PER_TENSOR -> new float[]{scale(absMax(w, 0, w.length))};
            case PER_CHANNEL -> new float[out];
            case PER_GROUP -> new float[out * groups];
        };
        for (int r = 0; r < out && g != WeightGranularity.PER_TENSOR; r++)
            for (int k = 0; k < groups; k++) {
                int a = r * in + k * gs, b = r * in + Math.min(in, (k + 1) * gs);
                scales[r * groups + k] = scale(absMax(w, a, b));
            }
        byte[] q = new byte[w.length];
        Int8Weights shape = new Int8Weights(q, scales, g, gs, out, in);
        for (int r = 0; r < out; r++)
            for (int c = 0; c < in; c++) q[r * in + c] = (byte) Math.rint(w[r * in + c] / shape.scaleAt(r, c));
        return new Int8Weights(q, scales, g, gs, out, in);
    }

    /** [rows, cols] bytes -> [cols, rows]. */
    public static byte[] transpose(byte[] a, int rows, int cols) {
        byte[] t = new byte[a.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /** Weights [out, in]: fake-quantized copy (int8 round trip) at the given granularity. */
    public static float[] weights(float[] w, int out, int in, WeightGranularity g, int groupSize) {
        return int8(w, out, in, g, groupSize).dequantize();
    }

    /**
     * Activations [tokens, width] in place.
     *
     * @param staticMax the calibrated max|x| for {@link ActivationGranularity#PER_TENSOR_STATIC}, else ignored
     */
    public static void activations(float[] x, int tokens, int width, ActivationGranularity g, float staticMax) {
        int n = tokens * width;
        switch (g) {
            case PER_TOKEN -> {
                for (int t = 0; t < tokens; t++) fake(x, t * width, (t + 1) * width, scale(absMax(x, t * width, (t + 1) * width)));
            }
            case PER_TENSOR_DYNAMIC -> fake(x, 0, n, scale(absMax(x, 0, n)));
            case PER_TENSOR_STATIC -> fakeSaturating(x, 0, n, scale(staticMax));
        }
    }
}
