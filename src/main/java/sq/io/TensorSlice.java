package sq.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor inside a memory-mapped safetensors file: name, dtype, shape and a zero-copy slice of the mapping.
 * Conversions to Java arrays copy (and upcast F16/BF16 to F32).
 */
public record TensorSlice(Path file, String name, DType dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Element count (checked against overflow when the file was opened). */
    public long numel() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        if (shape[i] > Integer.MAX_VALUE)
            throw InputException.of(file, "tensor '" + name + "' dimension " + i + " is " + shape[i] + ", too large");
        return (int) shape[i];
    }

    /**
     * Float values (F32, F16 and BF16 upcast exactly), all finite: a NaN or infinity is an {@link InputException}
     * naming the tensor, the flat index and the position, so corrupt weights never reach a perplexity.
     */
    public float[] toFloats() {
        return checkFinite(toFloatsUnchecked());
    }

    /**
     * Same as {@link #toFloats}, and the tensor's mapped pages are dropped from the process's resident memory as they
     * are converted (they stay in the page cache, so a later read costs no disk access): a layer-by-layer pipeline then
     * holds the file pages of about one chunk, not of every tensor it has read.
     */
    public float[] toFloatsReleasing() {
        int n = arrayLength();
        float[] out = new float[n];
        int chunk = RELEASE_CHUNK / dtype.bytes;
        for (int i = 0; i < n; i += chunk) {
            int m = Math.min(chunk, n - i);
            convert(i, m, out);
            if (data.isMapped()) data.asSlice((long) i * dtype.bytes, (long) m * dtype.bytes).unload();
        }
        return checkFinite(out);
    }

    /** Bytes converted between releases of mapped pages. */
    private static final int RELEASE_CHUNK = 8 << 20;

    private float[] checkFinite(float[] out) {
        int bad = firstNonFinite(out);
        if (bad >= 0)
            throw InputException.of(file, "tensor '" + name + "' has " + out[bad] + " at flat index " + bad + " (position "
                    + Arrays.toString(position(shape, bad)) + " of shape " + Arrays.toString(shape) + "); the weights are corrupt");
        return out;
    }

    /**
     * This slice after checking, without copying it, that every value is finite (what {@link #toFloats} checks), for
     * tensors used where they lie. F32, F16, BF16.
     */
    public TensorSlice requireFinite() {
        checkFinite(0, numel());
        return this;
    }

    /**
     * Same as {@link #requireFinite}, the mapped pages released a chunk at a time as they are checked, so checking a
     * table that is then used where it lies (a bf16 embedding of 1 GB) does not leave all of it resident.
     */
    public TensorSlice requireFiniteReleasing() {
        long n = numel(), chunk = RELEASE_CHUNK / dtype.bytes;
        for (long i = 0; i < n; i += chunk) {
            long m = Math.min(chunk, n - i);
            checkFinite(i, i + m);
            if (data.isMapped()) data.asSlice(i * dtype.bytes, m * dtype.bytes).unload();
        }
        return this;
    }

    /** Elements [from, to) finite, else an InputException naming the first bad one. */
    private void checkFinite(long from, long to) {
        try {
            for (long i = from; i < to; i++) {
                boolean bad = switch (dtype) {
                    case BF16 -> (data.getAtIndex(I16_LE, i) & 0x7f80) == 0x7f80;
                    case F16 -> (data.getAtIndex(I16_LE, i) & 0x7c00) == 0x7c00;
                    case F32 -> (data.getAtIndex(F32_LE, i) != data.getAtIndex(F32_LE, i)) || Float.isInfinite(data.getAtIndex(F32_LE, i));
                    default -> throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected a float type");
                };
                if (bad) {
                    float v = toFloatAt(i);
                    throw InputException.of(file, "tensor '" + name + "' has " + v + " at flat index " + i + " (position "
                            + Arrays.toString(position(shape, i)) + " of shape " + Arrays.toString(shape) + "); the weights are corrupt");
                }
            }
        } catch (InternalError e) {
            throw readFault(e);
        }
    }

    private float toFloatAt(long i) {
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(I16_LE, i) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16_LE, i));
            default -> data.getAtIndex(F32_LE, i);
        };
    }

    /** Index of the first NaN or infinity, or -1. */
    public static int firstNonFinite(float[] a) {
        int any = 0;
        for (float v : a) any |= (Float.floatToRawIntBits(v) & 0x7f800000) == 0x7f800000 ? 1 : 0; // branch-free pass
        if (any == 0) return -1;
        for (int i = 0; i < a.length; i++) if (!Float.isFinite(a[i])) return i;
        return -1;
    }

    /** Row-major coordinates of a flat index. */
    public static long[] position(long[] shape, long flat) {
        long[] pos = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) return pos;
            pos[d] = flat % shape[d];
            flat /= shape[d];
        }
        return pos;
    }

    /** Float values as stored, NaN and infinities included. */
    public float[] toFloatsUnchecked() {
        int n = arrayLength();
        float[] out = new float[n];
        convert(0, n, out);
        return out;
    }

    /** out[from, from + n) = elements [from, from + n) as floats. */
    private void convert(int from, int n, float[] out) {
        try {
            switch (dtype) {
                case F32 -> MemorySegment.copy(data, F32_LE, (long) from * 4, out, from, n);
                case F16 -> {
                    for (int i = from; i < from + n; i++) out[i] = Float.float16ToFloat(data.getAtIndex(I16_LE, i));
                }
                case BF16 -> {
                    for (int i = from; i < from + n; i++) out[i] = Float.intBitsToFloat((data.getAtIndex(I16_LE, i) & 0xffff) << 16);
                }
                default -> throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected a float type");
            }
        } catch (InternalError e) {
            throw readFault(e);
        }
    }

    /**
     * A read of a mapped page that is no longer backed by the file (truncated by another process after it was
     * mapped) faults; the JVM turns that SIGBUS into this InternalError for Java-side segment reads, which becomes
     * one line naming the file. Other internal errors pass through.
     */
    InputException readFault(InternalError e) {
        if (e.getMessage() == null || !e.getMessage().contains("unsafe memory access")) throw e;
        return InputException.of(file, "fault reading tensor '" + name + "': the file was truncated or rewritten while in use");
    }

    /** Integer values (I64, I32, I8, U8) as longs. */
    public long[] toLongs() {
        int n = arrayLength();
        long[] out = new long[n];
        try {
            for (int i = 0; i < n; i++) {
                out[i] = switch (dtype) {
                    case I64 -> data.getAtIndex(I64_LE, i);
                    case I32 -> data.getAtIndex(I32_LE, i);
                    case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                    case U8 -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
                    default -> throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected an integer type");
                };
            }
        } catch (InternalError e) {
            throw readFault(e);
        }
        return out;
    }

    public int[] toInts() {
        long[] l = toLongs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i])
                throw InputException.of(file, "tensor '" + name + "' value " + l[i] + " at flat index " + i + " does not fit an int");
            out[i] = (int) l[i];
        }
        return out;
    }

    /** Raw int8 values (I8 only). */
    public byte[] toBytes() {
        if (dtype != DType.I8 && dtype != DType.U8)
            throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected I8");
        try {
            return data.toArray(ValueLayout.JAVA_BYTE);
        } catch (InternalError e) {
            throw readFault(e);
        }
    }

    /** Checks the shape and names the tensor when it differs. */
    public TensorSlice expectShape(long... expected) {
        if (!Arrays.equals(shape, expected))
            throw InputException.of(file, "tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expected));
        return this;
    }

    private int arrayLength() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8)
            throw InputException.of(file, "tensor '" + name + "' has " + n + " elements, too many for one Java array");
        return (int) n;
    }
}
