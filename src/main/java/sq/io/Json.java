package sq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one Jackson mapper, with limits on nesting and sizes so hostile JSON cannot exhaust the stack or memory:
 * depth 64 (real config/tokenizer files nest under 10), strings up to 64 MB, numbers up to 100 digits, key names up to
 * 64 KB, documents up to {@link #MAX_FILE_BYTES}. Files larger than that are refused before they are read.
 */
public final class Json {
    /** Largest JSON file read: the biggest real tokenizer.json files are about 35 MB. */
    public static final long MAX_FILE_BYTES = 128L << 20;
    static final int MAX_DEPTH = 64;

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH)
                .maxStringLength(64 << 20)
                .maxNumberLength(100)
                .maxNameLength(64 << 10)
                .maxDocumentLength(MAX_FILE_BYTES)
                .build());
    }

    private Json() {
    }

    /** Reads a JSON file, with errors that name it. */
    public static JsonNode read(Path file) {
        byte[] bytes;
        if (!Files.isRegularFile(file))
            throw InputException.of(file, Files.exists(file) ? "not a regular file" : "file not found");
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES)
                throw InputException.of(file, "JSON file of " + size + " bytes is larger than the " + MAX_FILE_BYTES + "-byte limit");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "file not found");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
        return parse(file, bytes);
    }

    /**
     * Parses JSON bytes (strict UTF-8); {@code file} only names the source in messages. An empty document is a
     * {@link com.fasterxml.jackson.databind.node.MissingNode}.
     */
    public static JsonNode parse(Object file, byte[] bytes) {
        if (bytes.length > MAX_FILE_BYTES)
            throw InputException.of(file, "JSON of " + bytes.length + " bytes is larger than the " + MAX_FILE_BYTES + "-byte limit");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw InputException.of(file, "not UTF-8 text");
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw InputException.of(file, "not valid JSON: " + describe(e));
        }
    }

    /** Jackson's message without its multi-line source excerpt, plus the line when known. */
    public static String describe(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) m = e.getClass().getSimpleName();
        return m + (e.getLocation() != null && e.getLocation().getLineNr() > 0
                ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : "");
    }
}
