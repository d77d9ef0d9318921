package sq.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.io.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * model.safetensors.index.json (Checkpoint.open): a folder with config.json and two real shards, and the fuzzed
 * index naming them (or anything else: paths out of the folder, missing shards, wrong tensors).
 */
class SafetensorsIndexFuzzTest {
    private static FuzzHarness h;
    private static Path dir, index;

    @BeforeAll
    static void setUp() throws IOException {
        h = FuzzHarness.start("index-json");
        dir = Files.createDirectories(h.file("model"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        SeedCorpus.shard(0).write(dir.resolve("model-00001-of-00002.safetensors"));
        SeedCorpus.shard(1).write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.createDirectories(dir.resolve("sub"));
        index = dir.resolve(Checkpoint.INDEX);
        h.warmUp(SafetensorsIndexFuzzTest.class, SafetensorsIndexFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    @DictionaryEntries({"\"weight_map\"", "\"metadata\"", "\"total_size\"", "\"model-00001-of-00002.safetensors\"",
            "\"model-00002-of-00002.safetensors\"", "\"a.weight\"", "\"b.weight\"", "\"c.bias\"", "\"../\"", "\"sub\"",
            "\"config.json\"", "\"/etc/passwd\"", "\"..\"", "\".\""})
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        h.run(data, index, List.of(dir.toString()), () -> {
            try (Checkpoint c = Checkpoint.open(dir)) {
                for (String n : c.names()) c.get(n).numel();
            }
        });
    }
}
