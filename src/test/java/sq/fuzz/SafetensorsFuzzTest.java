package sq.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.io.SafetensorsFile;
import sq.io.TensorSlice;
import sq.quant.ActivationStats;

import java.nio.file.Path;
import java.util.List;

/**
 * safetensors files (SafetensorsFile: header length, JSON header, dtypes, shapes, offsets; every tensor converted with
 * TensorSlice), and the same bytes as saved activation statistics (ActivationStats.load).
 */
class SafetensorsFuzzTest {
    private static FuzzHarness h;
    private static Path file;

    @BeforeAll
    static void setUp() {
        h = FuzzHarness.start("safetensors");
        file = h.file("t.safetensors");
        h.warmUp(SafetensorsFuzzTest.class, SafetensorsFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    @DictionaryEntries({"\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"F16\"", "\"BF16\"",
            "\"I8\"", "\"U8\"", "\"I32\"", "\"I64\"", "\"F64\"", "static_input.", "static_output.", "[0,4]", "[1,1]", "{}",
            "4611686018427387904", "18446744073709551615"})
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        List<String> names = List.of(file.getFileName().toString());
        h.run(data, file, names, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorSlice t : f.tensors().values()) {
                    if (t.dtype().isFloat()) t.toFloats();
                    else t.toLongs();
                }
            }
        });
        h.run(data, names, () -> ActivationStats.load(file));
    }
}
