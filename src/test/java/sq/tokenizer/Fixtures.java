package sq.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test fixtures from the classpath (src/test/resources/fixtures). */
final class Fixtures {
    static final String GPT2 = "bpe4k-gpt2";
    static final String QWEN = "bpe4k-qwen";
    static final String SP512 = "sp512-stories";

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<String, Llama2cTokenizer> LLAMA2C = new ConcurrentHashMap<>();

    private Fixtures() {
    }

    static Path path(String relative) {
        URL url = Fixtures.class.getResource("/fixtures/" + relative);
        if (url == null) {
            throw new IllegalStateException("missing test fixture " + relative);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A text file as the protocol reads it: raw bytes decoded as UTF-8, no newline conversion. */
    static String text(String relative) {
        try {
            return new String(Files.readAllBytes(path(relative)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One of the tokenizers under fixtures/tokenizers, loaded once. */
    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> Tokenizer.load(path("tokenizers/" + n + "/tokenizer.json")));
    }

    static Llama2cTokenizer tok512() {
        return LLAMA2C.computeIfAbsent("tok512", n -> Llama2cTokenizer.load(path("stories260K/tok512.bin")));
    }
}
