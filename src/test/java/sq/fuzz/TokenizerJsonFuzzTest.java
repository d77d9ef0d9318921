package sq.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;

/**
 * tokenizer.json (BPE and WordPiece models, normalizers, pre-tokenizers, decoders, added tokens, post-processor
 * templates); a tokenizer that loads must then encode and decode a short mixed text without failing.
 */
class TokenizerJsonFuzzTest {
    static final String SAMPLE = "Hello world, ünïcödé 123 <s> [CLS] <|endoftext|>\n\tdon't  STOP 汉字 🙂";
    private static FuzzHarness h;
    private static Path file;

    @BeforeAll
    static void setUp() {
        h = FuzzHarness.start("tokenizer-json");
        file = h.file("tokenizer.json");
        h.warmUp(TokenizerJsonFuzzTest.class, TokenizerJsonFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    @DictionaryEntries({"\"model\"", "\"type\"", "\"BPE\"", "\"WordPiece\"", "\"vocab\"", "\"merges\"", "\"added_tokens\"",
            "\"normalizer\"", "\"pre_tokenizer\"", "\"decoder\"", "\"post_processor\"", "\"TemplateProcessing\"", "\"single\"",
            "\"special_tokens\"", "\"SpecialToken\"", "\"ids\"", "\"ByteLevel\"", "\"Split\"", "\"Sequence\"", "\"pretokenizers\"",
            "\"normalizers\"", "\"decoders\"", "\"pattern\"", "\"Regex\"", "\"String\"", "\"behavior\"", "\"Isolated\"",
            "\"Removed\"", "\"MergedWithPrevious\"", "\"Contiguous\"", "\"NFC\"", "\"NFKC\"", "\"Lowercase\"", "\"Prepend\"",
            "\"prepend\"", "\"Replace\"", "\"content\"", "\"ByteFallback\"", "\"Fuse\"", "\"Strip\"", "\"start\"", "\"stop\"",
            "\"byte_fallback\"", "\"unk_token\"", "\"continuing_subword_prefix\"", "\"end_of_word_suffix\"", "\"fuse_unk\"",
            "\"ignore_merges\"", "\"dropout\"", "\"special\"", "\"normalized\"", "\"lstrip\"", "\"rstrip\"", "\"single_word\"",
            "\"id\"", "\"BertNormalizer\"", "\"BertPreTokenizer\"", "\"max_input_chars_per_word\"", "\"truncation\"",
            "\"max_length\"", "\"add_prefix_space\"", "\"use_regex\"", "\"invert\"", "\"processors\"", "\"<0x41>\"", "\"▁\"",
            "\"##\"", "\"[UNK]\"", "16777215"})
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        h.run(data, file, List.of(file.getFileName().toString()), () -> exercise(Tokenizer.load(file)));
    }

    /** Encode and decode must not fail on a tokenizer that loaded. */
    static void exercise(Tokenizer t) {
        int[] ids = t.encode(SAMPLE);
        t.decode(ids);
        for (int id : ids)
            if (id < 0 || id >= t.vocabSize()) throw new AssertionError("encode produced id " + id + " outside 0.." + t.vocabSize());
        t.decode(new int[]{0, 1, 2, -1, t.vocabSize(), Integer.MAX_VALUE});
        var stream = t.streamDecoder();
        for (int id : ids) stream.next(id);
        stream.flush();
        t.vocabSize();
        t.bosId();
        t.eosId();
    }
}
