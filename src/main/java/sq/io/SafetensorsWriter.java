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
 * <p>
 * A {@link #spooled} writer keeps no tensor in memory: each one is appended to a spool file as it is added, and
 * {@link #write} copies them from there into their sorted places after the header (the data order depends on every
 * name, so it is known only at the end), then deletes the spool. Same bytes as the in-memory writer.
 */
public final class SafetensorsWriter {
    /** data: the bytes in memory, or null when spooled at spoolOffset. */
    private record Entry(String name, DType dtype, long[] shape, byte[] data, long spoolOffset, long length) {
    }

    private static final int CHUNK = 1 << 22;

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Path spoolPath;
    private java.nio.channels.FileChannel spool;
    private long spooled;

    public SafetensorsWriter() {
        this.spoolPath = null;
    }

    private SafetensorsWriter(Path spoolPath) {
        this.spoolPath = spoolPath;
    }

    /** A writer whose tensors go to spoolFile (created now, deleted by {@link #write}) instead of memory. */
    public static SafetensorsWriter spooled(Path spoolFile) {
        return new SafetensorsWriter(spoolFile);
    }

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
        if (spoolPath != null) return spoolFloats(name, dtype, values, shape);
        if (dtype == DType.F32) return add(name, values, shape);
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) putFloat(b, dtype, v, name);
        return add(name, dtype, shape, b.array());
    }

    private static void putFloat(ByteBuffer b, DType dtype, float v, String name) {
        switch (dtype) {
            case F32 -> b.putFloat(v);
            case F16 -> b.putShort(Float.floatToFloat16(v));
            case BF16 -> b.putShort(toBf16(v));
            default -> throw new IllegalArgumentException(name + ": cannot store floats as " + dtype);
        }
    }

    /** Converted a chunk at a time, so a large table (embeddings) never exists twice in memory. */
    private SafetensorsWriter spoolFloats(String name, DType dtype, float[] values, long... shape) {
        long start = checkNew(name, dtype, shape, (long) values.length * dtype.bytes);
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; ) {
            b.clear();
            int n = Math.min(values.length - i, CHUNK / dtype.bytes);
            for (int k = 0; k < n; k++) putFloat(b, dtype, values[i + k], name);
            i += n;
            appendSpool(b.flip());
        }
        entries.add(new Entry(name, dtype, shape.clone(), null, start, (long) values.length * dtype.bytes));
        return this;
    }

    private void appendSpool(ByteBuffer b) {
        try {
            if (spool == null)
                spool = java.nio.channels.FileChannel.open(spoolPath, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ);
            while (b.hasRemaining()) spooled += spool.write(b, spooled);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(spoolPath + ": " + e.getMessage(), e);
        }
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
        long start = checkNew(name, dtype, shape, data.length);
        if (spoolPath != null) {
            appendSpool(ByteBuffer.wrap(data));
            entries.add(new Entry(name, dtype, shape.clone(), null, start, data.length));
        } else {
            entries.add(new Entry(name, dtype, shape.clone(), data, 0, data.length));
        }
        return this;
    }

    /**
     * Raw little-endian bytes of the given dtype and shape straight from a (mapped) segment: spooled a chunk at a time,
     * each chunk's mapped pages released once copied, so a large table never lands on the heap.
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, java.lang.foreign.MemorySegment data) {
        if (spoolPath == null) return add(name, dtype, shape, data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        long start = checkNew(name, dtype, shape, data.byteSize());
        for (long p = 0; p < data.byteSize(); p += CHUNK) {
            java.lang.foreign.MemorySegment part = data.asSlice(p, Math.min(CHUNK, data.byteSize() - p));
            appendSpool(part.asByteBuffer());
            if (part.isMapped()) part.unload();
        }
        entries.add(new Entry(name, dtype, shape.clone(), null, start, data.byteSize()));
        return this;
    }

    /** Checks size and name; returns where a spooled tensor will start. */
    private long checkNew(String name, DType dtype, long[] shape, long bytes) {
        long numel = 1;
        for (long d : shape) numel = Math.multiplyExact(numel, d);
        if (numel * dtype.bytes != bytes)
            throw new IllegalArgumentException(name + ": " + dtype + " x " + Arrays.toString(shape) + " needs " + numel * dtype.bytes + " bytes, got " + bytes);
        if (name.equals("__metadata__") || entries.stream().anyMatch(e -> e.name.equals(name)))
            throw new IllegalArgumentException("duplicate or reserved tensor name '" + name + "'");
        return spooled;
    }

    /** Tensor names in the order they were added. */
    public List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.stream().mapToLong(Entry::length).sum();
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
            t.putArray("data_offsets").add(offset).add(offset + e.length);
            offset += e.length;
        }
        byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(head);
            for (Entry e : ordered) {
                if (e.data != null) {
                    out.write(e.data);
                    continue;
                }
                ByteBuffer b = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, e.length)));
                for (long p = e.spoolOffset, end = e.spoolOffset + e.length; p < end; ) {
                    b.clear().limit((int) Math.min(b.capacity(), end - p));
                    int n = spool.read(b, p);
                    if (n < 0) throw new IOException(spoolPath + ": spool ended early");
                    out.write(b.array(), 0, n);
                    p += n;
                }
            }
        }
        if (spool != null) {
            spool.close();
            spool = null;
            Files.delete(spoolPath);
        }
    }
}
