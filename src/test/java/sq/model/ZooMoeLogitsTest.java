package sq.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.List;

/**
 * The zoo's mixture-of-experts decoders (Mixtral's per-expert tensors, Qwen2-MoE's shared expert, Qwen3-MoE's
 * renormalized top-k, gpt-oss's fused experts, sinks and clamped SwiGLU) against transformers' fp32 logits:
 * max|diff| <= 1e-4 * max|golden|.
 */
public class ZooMoeLogitsTest {
    public static final List<String> MOE = List.of("mixtral", "qwen2-moe", "qwen3-moe", "gpt-oss");

    static List<String> moe() {
        return MOE;
    }

    @ParameterizedTest
    @MethodSource("moe")
    void logitsMatchTransformers(String name) {
        Path dir = Fixtures.shared("zoo/" + name);
        GoldenLogitsTest.check(ModelLoader.load(dir), dir.resolve("golden.safetensors"), "logits");
    }
}
