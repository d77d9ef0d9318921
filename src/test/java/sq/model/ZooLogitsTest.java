package sq.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.List;

/**
 * Every dense decoder of ../shared/fixtures/zoo (transformers 5.17, random weights that exercise every branch) against
 * transformers' fp32 logits: max|diff| <= 1e-4 * max|golden| (the measured ratio is printed).
 */
public class ZooLogitsTest {
    /** The zoo's dense fixtures (the MoE ones are another issue's). */
    public static final List<String> DENSE = List.of("llama3", "llama-yarn", "llama-linear", "mistral", "gemma", "gemma2", "gemma3", "phi3",
            "phi3-longrope", "phi4-mini", "phi2", "falcon-7b", "falcon-40b", "bloom", "gpt2", "gpt-neox", "granite", "olmo2",
            "smollm3", "opt-postln");

    static List<String> dense() {
        return DENSE;
    }

    @ParameterizedTest
    @MethodSource("dense")
    void logitsMatchTransformers(String name) {
        Path dir = Fixtures.shared("zoo/" + name);
        GoldenLogitsTest.check(ModelLoader.load(dir), dir.resolve("golden.safetensors"), "logits");
    }
}
