package sq.io.onnx;

import sq.io.InputException;

import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked reader of the protobuf wire format over a slice of a byte array: tags, varints, fixed 32/64-bit
 * values and length-delimited fields. Every overrun is an {@link InputException} naming the file, the field being
 * read and the byte offset, so a truncated or corrupt file never turns into an index error.
 */
final class ProtoReader {
    static final int VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

    private final Object file;
    private final byte[] buf;
    private final int end;
    private final String where;
    private int pos;

    ProtoReader(Object file, byte[] buf, int from, int to, String where) {
        this.file = file;
        this.buf = buf;
        this.pos = from;
        this.end = to;
        this.where = where;
    }

    boolean hasMore() {
        return pos < end;
    }

    int position() {
        return pos;
    }

    /** The next field's tag (field number << 3 | wire type); checks that the wire type is one protobuf defines. */
    int tag() {
        long t = varint();
        int wire = (int) (t & 7);
        if (t >>> 3 == 0 || t >>> 3 > 0x1fffffff || (wire != VARINT && wire != I64 && wire != LEN && wire != I32))
            throw corrupt("invalid field tag " + t + " at byte " + (pos - 1));
        return (int) t;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw truncated();
            byte b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) return v;
        }
        throw corrupt("varint longer than 10 bytes at byte " + pos);
    }

    int int32() {
        return (int) varint();
    }

    float fixed32Float() {
        return Float.intBitsToFloat(fixed32());
    }

    int fixed32() {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    long fixed64() {
        long lo = fixed32() & 0xffffffffL, hi = fixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** Length of a length-delimited field, checked against what is left; the reader stays before its payload. */
    int length() {
        long n = varint();
        if (n < 0 || n > end - pos) throw truncated(n);
        return (int) n;
    }

    /** A reader over the next length-delimited field's payload; this reader moves past it. */
    ProtoReader message(String field) {
        int n = length();
        ProtoReader r = new ProtoReader(file, buf, pos, pos + n, field);
        pos += n;
        return r;
    }

    /** [offset, length] of the next length-delimited payload in the backing array; this reader moves past it. */
    int[] bytesRange() {
        int n = length();
        int[] r = {pos, n};
        pos += n;
        return r;
    }

    String string() {
        int n = length();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Skips a field of the given wire type. */
    void skip(int tag) {
        switch (tag & 7) {
            case VARINT -> varint();
            case I64 -> advance(8);
            case LEN -> advance(length()); // not pos += length(): that would read pos before length() moves it
            case I32 -> advance(4);
            default -> throw corrupt("unknown wire type " + (tag & 7));
        }
    }

    /** Repeated int64: either packed (LEN) or one varint per tag. */
    void int64s(int tag, LongSink sink) {
        if ((tag & 7) == LEN) {
            ProtoReader p = message(where);
            while (p.hasMore()) sink.accept(p.varint());
        } else if ((tag & 7) == VARINT) {
            sink.accept(varint());
        } else {
            throw corrupt("wire type " + (tag & 7) + " for a repeated integer field");
        }
    }

    /** Repeated float: packed or one fixed32 per tag. */
    void floats(int tag, FloatSink sink) {
        if ((tag & 7) == LEN) {
            ProtoReader p = message(where);
            if ((p.end - p.pos) % 4 != 0) throw corrupt("packed floats of " + (p.end - p.pos) + " bytes, not a multiple of 4");
            while (p.hasMore()) sink.accept(p.fixed32Float());
        } else if ((tag & 7) == I32) {
            sink.accept(fixed32Float());
        } else {
            throw corrupt("wire type " + (tag & 7) + " for a repeated float field");
        }
    }

    /** Repeated double: packed or one fixed64 per tag. */
    void doubles(int tag, DoubleSink sink) {
        if ((tag & 7) == LEN) {
            ProtoReader p = message(where);
            if ((p.end - p.pos) % 8 != 0) throw corrupt("packed doubles of " + (p.end - p.pos) + " bytes, not a multiple of 8");
            while (p.hasMore()) sink.accept(Double.longBitsToDouble(p.fixed64()));
        } else if ((tag & 7) == I64) {
            sink.accept(Double.longBitsToDouble(fixed64()));
        } else {
            throw corrupt("wire type " + (tag & 7) + " for a repeated double field");
        }
    }

    /** Fails unless the tag has the wire type the schema gives this field. */
    void expect(int tag, int wire) {
        if ((tag & 7) != wire) throw corrupt("field " + (tag >>> 3) + " has wire type " + (tag & 7) + ", expected " + wire);
    }

    byte[] buffer() {
        return buf;
    }

    private void advance(int n) {
        need(n);
        pos += n;
    }

    private void need(int n) {
        if (end - pos < n) throw truncated();
    }

    InputException truncated() {
        return InputException.of(file, "truncated or corrupt ONNX file: " + where + " runs past the end of its data (byte " + pos + ")");
    }

    private InputException truncated(long n) {
        return InputException.of(file, "truncated or corrupt ONNX file: " + where + " declares " + n + " bytes at byte " + pos
                + " but only " + (end - pos) + " remain");
    }

    InputException corrupt(String problem) {
        return InputException.of(file, "corrupt ONNX file: " + where + ": " + problem);
    }

    @FunctionalInterface
    interface LongSink {
        void accept(long v);
    }

    @FunctionalInterface
    interface FloatSink {
        void accept(float v);
    }

    @FunctionalInterface
    interface DoubleSink {
        void accept(double v);
    }
}
