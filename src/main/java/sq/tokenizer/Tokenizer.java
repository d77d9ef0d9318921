package sq.tokenizer;

import sq.io.InputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text to token ids and back, with the results of Hugging Face {@code tokenizers}:
 * {@link #encode} is {@code encode(text, add_special_tokens=False).ids} and {@link #decode} is
 * {@code decode(ids, skip_special_tokens=False)}. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {
    /**
     * Loads a Hugging Face {@code tokenizer.json}, a folder holding one, or a llama2.c
     * {@code tokenizer.bin} / {@code tok512.bin} (recognised by the {@code .bin} suffix).
     *
     * @throws InputException if the file is missing, malformed or uses an unsupported component
     */
    static Tokenizer load(Path path) {
        if (Files.isDirectory(path)) {
            Path json = path.resolve("tokenizer.json");
            if (!Files.isRegularFile(json)) {
                throw InputException.of(path, "folder has no tokenizer.json");
            }
            return TokenizerJson.load(json);
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".bin")) {
            return Llama2cTokenizer.load(path);
        }
        return TokenizerJson.load(path);
    }

    /** Token ids of {@code text}; added/special tokens written in the text become their ids. No BOS/EOS. */
    int[] encode(String text);

    /**
     * {@code encode(text, add_special_tokens=True).ids}: {@link #encode} framed by the special tokens the
     * post-processor adds (Llama 2's BOS, BERT's [CLS] ... [SEP]; nothing for Llama 3's tokenizer.json).
     */
    int[] encodeWithSpecialTokens(String text);

    /** Text of {@code ids}; ids without a token are skipped, as in HF. */
    String decode(int[] ids);

    /** One more than the largest id (model vocab and added tokens together). */
    int vocabSize();

    /**
     * The token string of {@code id} as the vocab spells it (e.g. "Ġthe", "▁Once", "<0x0A>").
     *
     * @throws IllegalArgumentException if no token has this id
     */
    String token(int id);

    /** The id of a token string (exact vocab spelling), if there is one. */
    OptionalInt id(String token);

    /** The token the tokenizer puts first when asked to add special tokens, if it says so. */
    OptionalInt bosId();

    /** The token the tokenizer puts last when asked to add special tokens, if it says so. */
    OptionalInt eosId();

    /** A fresh incremental decoder for printing generated ids one at a time. */
    default TokenStreamDecoder streamDecoder() {
        return new TokenStreamDecoder(this);
    }
}
