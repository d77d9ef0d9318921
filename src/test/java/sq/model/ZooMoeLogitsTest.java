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

    /** Decode (one token a step: each expert gets 0 or 1 row) gives the logits prefill gives, to float rounding. */
    @ParameterizedTest
    @MethodSource("moe")
    void decodeMatchesPrefill(String name) throws Exception {
        Path dir = Fixtures.shared("zoo/" + name);
        Model m = ModelLoader.load(dir);
        int[] ids;
        try (sq.io.SafetensorsFile g = sq.io.SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            ids = java.util.Arrays.copyOf(g.get("input_ids").toInts(), 24);
        }
        Transformer t = new Transformer(m);
        float[] prefill = t.forward(ids, t.newCache(ids.length), true);
        KvCache cache = t.newCache(ids.length);
        int V = m.config().vocab();
        double maxAbs = 0, d = 0;
        for (int i = 0; i < ids.length; i++) {
            float[] step = t.forward(new int[]{ids[i]}, cache, false);
            for (int v = 0; v < V; v++) {
                maxAbs = Math.max(maxAbs, Math.abs(prefill[i * V + v]));
                d = Math.max(d, Math.abs(step[v] - prefill[i * V + v]));
            }
        }
        System.out.printf("%s: decode vs prefill max|diff| %.2g of max%n", name, d / maxAbs);
        org.assertj.core.api.Assertions.assertThat(d).isLessThanOrEqualTo(1e-5 * maxAbs);
    }
}
