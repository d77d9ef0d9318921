package sq.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.io.Llama2cReader;
import sq.model.Model;

import java.nio.file.Path;
import java.util.List;

/** llama2.c checkpoints (Llama2cReader: the seven header ints against the file size, then the float arrays). */
class Llama2cModelFuzzTest {
    private static FuzzHarness h;
    private static Path file;

    @BeforeAll
    static void setUp() {
        h = FuzzHarness.start("llama2c-model");
        file = h.file("model.bin");
        h.warmUp(Llama2cModelFuzzTest.class, Llama2cModelFuzzTest::check);
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
        h.run(data, file, List.of(file.getFileName().toString()), () -> {
            Llama2cReader.readConfig(file);
            Model m = Llama2cReader.read(file);
            if (m.layers().size() != m.config().layers()) throw new AssertionError("layer count");
        });
    }
}
