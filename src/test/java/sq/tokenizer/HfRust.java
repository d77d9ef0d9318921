package sq.tokenizer;

import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * HF tokenizers itself (the Rust crate, 0.21.0 as DJL 0.38.0 bundles it for linux-x86_64) through DJL's JNI binding,
 * called at its lowest level: tokenizer.json only (no tokenizer_config.json), no truncation or padding, and only the
 * ids read back (DJL's {@code Encoding} would also copy tokens, offsets and masks). Test scope only.
 */
final class HfRust implements AutoCloseable {
    static {
        LibUtils.checkStatus(); // extracts the bundled libtokenizers.so (into ~/.djl.ai) and loads it; no download
    }

    private static final TokenizersLibrary LIB = TokenizersLibrary.LIB;
    private final long handle;

    private HfRust(long handle) {
        this.handle = handle;
    }

    static HfRust load(Path tokenizerJson) {
        try {
            long handle = LIB.createTokenizerFromString(Files.readString(tokenizerJson));
            LIB.disableTruncation(handle);
            LIB.disablePadding(handle);
            return new HfRust(handle);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code encode(text, add_special_tokens).ids} */
    int[] encode(String text, boolean addSpecialTokens) {
        long encoding = LIB.encode(handle, text, addSpecialTokens);
        try {
            return Arrays.stream(LIB.getTokenIds(encoding)).mapToInt(Math::toIntExact).toArray();
        } finally {
            LIB.deleteEncoding(encoding);
        }
    }

    /** {@code decode(ids, skip_special_tokens=False)} */
    String decode(int[] ids) {
        return LIB.decode(handle, Arrays.stream(ids).asLongStream().toArray(), false);
    }

    @Override
    public void close() {
        LIB.deleteTokenizer(handle);
    }
}
