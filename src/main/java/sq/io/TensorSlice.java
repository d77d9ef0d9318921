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

    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    /** Float values (F32, F16 and BF16 upcast exactly). */
    public float[] toFloats() {
        int n = arrayLength();
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, 0, out, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(data.getAtIndex(I16_LE, i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((data.getAtIndex(I16_LE, i) & 0xffff) << 16);
            }
            default -> throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected a float type");
        }
        return out;
    }

    /** Integer values (I64, I32, I8, U8) as longs. */
    public long[] toLongs() {
        int n = arrayLength();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> data.getAtIndex(I64_LE, i);
                case I32 -> data.getAtIndex(I32_LE, i);
                case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                case U8 -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
                default -> throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected an integer type");
            };
        }
        return out;
    }

    public int[] toInts() {
        long[] l = toLongs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    /** Raw int8 values (I8 only). */
    public byte[] toBytes() {
        if (dtype != DType.I8 && dtype != DType.U8)
            throw InputException.of(file, "tensor '" + name + "' has dtype " + dtype + ", expected I8");
        return data.toArray(ValueLayout.JAVA_BYTE);
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
