package sq.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;

/** llama2.c tokenizers (tokenizer.bin / tok512.bin): scores, lengths, pieces; a loaded one must encode and decode. */
class Llama2cTokenizerFuzzTest {
    private static FuzzHarness h;
    private static Path file;

    @BeforeAll
    static void setUp() {
        h = FuzzHarness.start("llama2c-tokenizer");
        file = h.file("tok.bin");
        h.warmUp(Llama2cTokenizerFuzzTest.class, Llama2cTokenizerFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        h.run(data, file, List.of(file.getFileName().toString()), () -> TokenizerJsonFuzzTest.exercise(Tokenizer.load(file)));
    }
}
