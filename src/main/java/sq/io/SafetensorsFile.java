package sq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped once (FFM, no 2 GB limit); tensors are zero-copy slices of the mapping.
 *
 * <p>Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {str: str}}, then the data; offsets are relative to the end of the header.
 * Everything in the header is checked against the file length before any tensor is touched.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Larger headers are refused: real ones are a few hundred KB even for thousands of tensors. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = Json.MAPPER;

    private final Path path;
    private final Arena arena;
    private final Map<String, TensorSlice> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, TensorSlice> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            SafetensorsFile f = parse(path, all, size, arena);
            return f;
        } catch (NoSuchFileException e) {
            arena.close();
            throw InputException.of(path, "file not found");
        } catch (IOException e) {
            arena.close();
            throw InputException.of(path, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, MemorySegment all, long size, Arena arena) {
        if (size < 8) throw InputException.of(path, "not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
        long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER_BYTES)
            throw InputException.of(path, "not a safetensors file: header length " + Long.toUnsignedString(n)
                    + " is outside 2.." + MAX_HEADER_BYTES);
        if (8 + n > size)
            throw InputException.of(path, "truncated: header claims " + n + " bytes but the file has only " + (size - 8) + " after the length");
        byte[] headerBytes = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw InputException.of(path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) throw InputException.of(path, "header is not a JSON object");
        long dataStart = 8 + n;
        long dataLen = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorSlice> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>(); // {begin, end, index}
        List<String> names = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw InputException.of(path, "__metadata__ is not an object");
                v.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual())
                        throw InputException.of(path, "__metadata__ value '" + m.getKey() + "' is not a string");
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            String where = "tensor '" + name + "'";
            if (!v.isObject()) throw InputException.of(path, where + ": entry is not an object");
            DType dtype = DType.parse(v.path("dtype").asText(null));
            if (dtype == null)
                throw InputException.of(path, where + ": unsupported dtype " + v.path("dtype") + " (supported: F32, F16, BF16, I8, U8, I32, I64)");
            JsonNode shapeNode = v.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) throw InputException.of(path, where + ": missing shape");
            long[] shape = new long[shapeNode.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0)
                    throw InputException.of(path, where + ": shape " + shapeNode + " has a bad dimension");
                shape[i] = d.asLong();
                try {
                    numel = Math.multiplyExact(numel, shape[i]);
                } catch (ArithmeticException ex) {
                    throw InputException.of(path, where + ": shape " + shapeNode + " overflows");
                }
            }
            JsonNode off = v.get("data_offsets");
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                    || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
                throw InputException.of(path, where + ": data_offsets must be [begin, end]");
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin)
                throw InputException.of(path, where + ": data_offsets [" + begin + ", " + end + "] are not an ordered range");
            if (end > dataLen)
                throw InputException.of(path, where + ": data ends at " + end + " but the file has only " + dataLen
                        + " data bytes (truncated?)");
            long expected;
            try {
                expected = Math.multiplyExact(numel, dtype.bytes);
            } catch (ArithmeticException ex) {
                throw InputException.of(path, where + ": shape " + shapeNode + " overflows");
            }
            if (end - begin != expected)
                throw InputException.of(path, where + ": " + dtype + " x " + shapeNode + " needs " + expected
                        + " bytes but data_offsets span " + (end - begin));
            ranges.add(new long[]{begin, end, names.size()});
            names.add(name);
            tensors.put(name, new TensorSlice(path, name, dtype, shape, all.asSlice(dataStart + begin, end - begin)));
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            long[] a = ranges.get(i - 1), b = ranges.get(i);
            if (b[0] < a[1] && b[1] > b[0] && a[1] > a[0])
                throw InputException.of(path, "tensors '" + names.get((int) a[2]) + "' and '" + names.get((int) b[2]) + "' overlap");
        }
        return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorSlice> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public TensorSlice get(String name) {
        TensorSlice t = tensors.get(name);
        if (t == null) throw InputException.of(path, "missing tensor '" + name + "'");
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
