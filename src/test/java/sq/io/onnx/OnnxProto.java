package sq.io.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A minimal protobuf writer for building small ONNX files in tests (the field numbers of onnx.proto). */
public final class OnnxProto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public byte[] bytes() {
        return out.toByteArray();
    }

    public OnnxProto varint(int field, long v) {
        tag(field, 0);
        raw(v);
        return this;
    }

    public OnnxProto fixed32(int field, float v) {
        tag(field, 5);
        int b = Float.floatToIntBits(v);
        for (int i = 0; i < 4; i++) out.write(b >>> (8 * i));
        return this;
    }

    public OnnxProto bytes(int field, byte[] b) {
        tag(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    public OnnxProto string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public OnnxProto message(int field, OnnxProto m) {
        return bytes(field, m.bytes());
    }

    /** Packed repeated int64. */
    public OnnxProto packed(int field, long... values) {
        OnnxProto p = new OnnxProto();
        for (long v : values) p.raw(v);
        return bytes(field, p.bytes());
    }

    private void tag(int field, int wire) {
        raw((long) field << 3 | wire);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    // ---- ONNX messages ----

    /** A float tensor with raw_data (little-endian). */
    public static OnnxProto floatTensor(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return new OnnxProto().packed(1, dims).varint(2, 1).string(8, name).bytes(9, b.array());
    }

    /** An int64 tensor with int64_data. */
    public static OnnxProto longTensor(String name, long[] dims, long... values) {
        return new OnnxProto().packed(1, dims).varint(2, 7).packed(7, values).string(8, name);
    }

    public static OnnxProto node(String op, String name, String[] inputs, String[] outputs, OnnxProto... attributes) {
        OnnxProto n = new OnnxProto();
        for (String i : inputs) n.string(1, i);
        for (String o : outputs) n.string(2, o);
        n.string(3, name).string(4, op);
        for (OnnxProto a : attributes) n.message(5, a);
        return n;
    }

    public static OnnxProto valueInfo(String name) {
        return new OnnxProto().string(1, name);
    }

    /** ModelProto{ir_version 7, producer "test", opset_import {"" : 11}, graph}. */
    public static byte[] model(OnnxProto graph) {
        return new OnnxProto().varint(1, 7).string(2, "test").message(7, graph)
                .message(8, new OnnxProto().string(1, "").varint(2, 11)).bytes();
    }
}
