package sq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    /** The shared limits (depth, sizes), and a tensor named twice is an error rather than "last one wins". */
    private static final ObjectReader HEADER_READER = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Path path;
    /** File length when it was mapped: reading a mapped page past a later truncation faults (see {@link #get}). */
    private final long mappedSize;
    private final Arena arena;
    private final Map<String, TensorSlice> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, long mappedSize, Arena arena, Map<String, TensorSlice> tensors, Map<String, String> metadata) {
        this.path = path;
        this.mappedSize = mappedSize;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        if (!Files.isRegularFile(path))
            throw InputException.of(path, Files.exists(path) ? "not a regular file" : "file not found");
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
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw InputException.of(path, "header is not UTF-8 text");
        }
        JsonNode header;
        try {
            header = HEADER_READER.readTree(headerText);
        } catch (JsonProcessingException e) {
            throw InputException.of(path, "header is not valid JSON: " + Json.describe(e));
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
            if (!v.path("dtype").isTextual()) throw InputException.of(path, where + ": dtype is missing or not a string");
            DType dtype = DType.parse(v.get("dtype").asText());
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
        // Sorted by begin, a non-empty range overlaps an earlier one exactly when it starts before the furthest end
        // reached so far (comparing neighbours only would miss [0,100) against [50,60) with an empty range between).
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        long[] furthest = null;
        for (long[] r : ranges) {
            if (r[1] == r[0]) continue;
            if (furthest != null && r[0] < furthest[1])
                throw InputException.of(path, "tensors '" + names.get((int) furthest[2]) + "' and '" + names.get((int) r[2]) + "' overlap");
            if (furthest == null || r[1] > furthest[1]) furthest = r;
        }
        return new SafetensorsFile(path, size, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
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

    /**
     * The tensor, after checking that the file still has the length it was mapped with: a file truncated by another
     * process since then is named here, before any of its pages is read (a truncation after this check is caught
     * where the data is read, see {@link TensorSlice}).
     */
    public TensorSlice get(String name) {
        TensorSlice t = tensors.get(name);
        if (t == null) throw InputException.of(path, "missing tensor '" + name + "'");
        requireUnchanged();
        return t;
    }

    /** Throws when the file's length differs from the mapped length (truncated or rewritten since it was opened). */
    public void requireUnchanged() {
        long now;
        try {
            now = Files.size(path);
        } catch (IOException e) {
            throw InputException.of(path, "was removed or became unreadable while in use: " + e.getMessage());
        }
        if (now != mappedSize)
            throw InputException.of(path, "changed on disk while in use: " + now + " bytes now, " + mappedSize
                    + " when it was opened (truncated or rewritten by another process?)");
    }

    @Override
    public void close() {
        arena.close();
    }
}
