package sq.io;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file: u64 header length, JSON header padded with spaces to a multiple of 8 bytes (so every
 * the data starts 8-byte aligned), then the tensors contiguously, widest dtype first and by name within a dtype
 * width (as the reference serializer does), so every tensor is aligned to its element size. Same inputs, same bytes.
 */
public final class SafetensorsWriter {
    private record Entry(String name, DType dtype, long[] shape, byte[] data) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter add(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return add(name, DType.F32, shape, b.array());
    }

    /** Float values stored as dtype (F32, or F16/BF16 rounded to nearest even). */
    public SafetensorsWriter add(String name, DType dtype, float[] values, long... shape) {
        if (dtype == DType.F32) return add(name, values, shape);
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(switch (dtype) {
            case F16 -> Float.floatToFloat16(v);
            case BF16 -> toBf16(v);
            default -> throw new IllegalArgumentException(name + ": cannot store floats as " + dtype);
        });
        return add(name, dtype, shape, b.array());
    }

    /** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public SafetensorsWriter add(String name, byte[] int8, long... shape) {
        return add(name, DType.I8, shape, int8);
    }

    public SafetensorsWriter add(String name, long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return add(name, DType.I64, shape, b.array());
    }

    /** Raw little-endian bytes of the given dtype and shape. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] data) {
        long numel = 1;
        for (long d : shape) numel = Math.multiplyExact(numel, d);
        if (numel * dtype.bytes != data.length)
            throw new IllegalArgumentException(name + ": " + dtype + " x " + Arrays.toString(shape) + " needs " + numel * dtype.bytes + " bytes, got " + data.length);
        if (name.equals("__metadata__") || entries.stream().anyMatch(e -> e.name.equals(name)))
            throw new IllegalArgumentException("duplicate or reserved tensor name '" + name + "'");
        entries.add(new Entry(name, dtype, shape.clone(), data));
        return this;
    }

    /** Tensor names in the order they were added. */
    public List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.stream().mapToLong(e -> e.data.length).sum();
    }

    public void write(Path file) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        List<Entry> ordered = new ArrayList<>(entries);
        ordered.sort(java.util.Comparator.comparingInt((Entry e) -> -e.dtype.bytes).thenComparing(Entry::name));
        long offset = 0;
        for (Entry e : ordered) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.data.length);
            offset += e.data.length;
        }
        byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(head);
            for (Entry e : ordered) out.write(e.data);
        }
    }
}
