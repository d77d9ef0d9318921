package sq.io.onnx;

import sq.io.InputException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A TensorProto of an ONNX file (an initializer or a Constant's value): name, element type, shape and the data,
 * either a slice of the file's bytes (raw_data, little-endian) or the typed repeated fields. Conversions copy.
 */
public final class OnnxTensor {
    /** TensorProto.DataType codes used here. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8, BOOL = 9,
            FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16;

    private final Object file;
    private final String name;
    private final int dataType;
    private final long[] dims;
    private final byte[] raw;
    private final int rawOffset, rawLength;
    private final float[] floatData;
    private final long[] longData;
    private final double[] doubleData;

    OnnxTensor(Object file, String name, int dataType, long[] dims, byte[] raw, int rawOffset, int rawLength,
               float[] floatData, long[] longData, double[] doubleData) {
        this.file = file;
        this.name = name;
        this.dataType = dataType;
        this.dims = dims;
        this.raw = raw;
        this.rawOffset = rawOffset;
        this.rawLength = rawLength;
        this.floatData = floatData;
        this.longData = longData;
        this.doubleData = doubleData;
    }

    public String name() {
        return name;
    }

    /** The same tensor under another name (a Constant node's output). */
    OnnxTensor renamed(String newName) {
        return new OnnxTensor(file, newName, dataType, dims, raw, rawOffset, rawLength, floatData, longData, doubleData);
    }

    public int dataType() {
        return dataType;
    }

    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return Math.toIntExact(dims[i]);
    }

    /** The element count; an InputException if the dimensions' product overflows a long. */
    public long numel() {
        long n = 1;
        try {
            for (long d : dims) n = Math.multiplyExact(n, d);
        } catch (ArithmeticException e) {
            throw InputException.of(file, "tensor '" + name + "' has dimensions " + Arrays.toString(dims) + " whose product overflows");
        }
        return n;
    }

    /** Bytes per element of the raw encoding, 0 for types we do not decode. */
    static int elementSize(int type) {
        return switch (type) {
            case FLOAT, INT32, UINT32 -> 4;
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16, FLOAT16, BFLOAT16 -> 2;
            case INT64, DOUBLE, UINT64 -> 8;
            default -> 0;
        };
    }

    /**
     * Float values: FLOAT, FLOAT16, BFLOAT16 and DOUBLE are converted. The data is checked against the shape before
     * anything is allocated. A tensor with no elements gives an empty array (proto3 writes no data for it).
     */
    public float[] toFloats() {
        int n = count();
        if (n == 0) {
            if (!isFloat(dataType)) throw notA("a float type");
            return new float[0];
        }
        if (raw != null) {
            checkRaw(n);
            float[] out = new float[n];
            ByteBuffer b = ByteBuffer.wrap(raw, rawOffset, rawLength).order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case FLOAT -> b.asFloatBuffer().get(out);
                case FLOAT16 -> {
                    for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort(rawOffset + 2 * i));
                }
                case BFLOAT16 -> {
                    for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort(rawOffset + 2 * i) & 0xffff) << 16);
                }
                case DOUBLE -> {
                    for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(rawOffset + 8 * i);
                }
                default -> throw notA("a float type");
            }
            return out;
        }
        if (!isFloat(dataType)) throw notA("a float type");
        checkTyped(switch (dataType) {
            case FLOAT -> floatData == null ? 0 : floatData.length;
            case DOUBLE -> doubleData == null ? 0 : doubleData.length;
            default -> longData == null ? 0 : longData.length;
        }, n);
        float[] out = new float[n];
        switch (dataType) {
            case FLOAT -> copy(floatData, n, out);
            case DOUBLE -> {
                checkTyped(doubleData == null ? 0 : doubleData.length, n);
                for (int i = 0; i < n; i++) out[i] = (float) doubleData[i];
            }
            case FLOAT16, BFLOAT16 -> { // stored in int32_data, one 16-bit pattern each
                checkTyped(longData == null ? 0 : longData.length, n);
                for (int i = 0; i < n; i++) {
                    int bits = (int) longData[i] & 0xffff;
                    out[i] = dataType == FLOAT16 ? Float.float16ToFloat((short) bits) : Float.intBitsToFloat(bits << 16);
                }
            }
            default -> throw notA("a float type");
        }
        return out;
    }

    /**
     * Integer values (INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, BOOL) as longs; checked before allocating; a
     * tensor with no elements gives an empty array.
     */
    public long[] toLongs() {
        int n = count();
        boolean integer = elementSize(dataType) != 0 && !isFloat(dataType);
        if (n == 0) {
            if (!integer) throw notA("an integer type");
            return new long[0];
        }
        if (raw != null) {
            checkRaw(n);
            long[] out = new long[n];
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out[i] = switch (dataType) {
                    case INT64, UINT64 -> b.getLong(rawOffset + 8 * i);
                    case INT32 -> b.getInt(rawOffset + 4 * i);
                    case UINT32 -> b.getInt(rawOffset + 4 * i) & 0xffffffffL;
                    case INT16 -> b.getShort(rawOffset + 2 * i);
                    case UINT16 -> b.getShort(rawOffset + 2 * i) & 0xffff;
                    case INT8 -> b.get(rawOffset + i);
                    case UINT8, BOOL -> b.get(rawOffset + i) & 0xff;
                    default -> throw notA("an integer type");
                };
            }
            return out;
        }
        if (!integer) throw notA("an integer type");
        checkTyped(longData == null ? 0 : longData.length, n);
        long[] out = new long[n];
        System.arraycopy(longData, 0, out, 0, n);
        return out;
    }

    private static boolean isFloat(int type) {
        return type == FLOAT || type == DOUBLE || type == FLOAT16 || type == BFLOAT16;
    }

    private int count() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw InputException.of(file, "tensor '" + name + "' has " + n + " elements, too many for one array");
        return (int) n;
    }

    private void checkRaw(int n) {
        int size = elementSize(dataType);
        if (size == 0) throw notA("a numeric type");
        if ((long) n * size != rawLength)
            throw InputException.of(file, "tensor '" + name + "' of shape " + Arrays.toString(dims) + " has " + rawLength
                    + " bytes of data, expected " + (long) n * size);
    }

    private void checkTyped(int have, int n) {
        if (have != n)
            throw InputException.of(file, "tensor '" + name + "' of shape " + Arrays.toString(dims) + " has " + have
                    + " values, expected " + n);
    }

    private void copy(float[] src, int n, float[] out) {
        checkTyped(src == null ? 0 : src.length, n);
        System.arraycopy(src, 0, out, 0, n);
    }

    private InputException notA(String what) {
        return InputException.of(file, "tensor '" + name + "' has ONNX data type " + dataType + ", expected " + what);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims) + "/type" + dataType;
    }
}
