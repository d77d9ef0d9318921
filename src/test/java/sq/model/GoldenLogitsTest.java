package sq.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import sq.io.SafetensorsFile;
import sq.testing.Fixtures;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Our fp32 forward pass against transformers' logits: max|diff| <= 1e-4 * max|golden|. */
class GoldenLogitsTest {

    @ParameterizedTest
    @ValueSource(strings = {"opt", "llama", "qwen2", "qwen3"})
    void tinyModelsMatchTransformers(String arch) {
        Path dir = Fixtures.bundled("tiny/" + arch);
        check(ModelLoader.load(dir), dir.resolve("golden.safetensors"), "logits");
    }

    @Test
    void stories260kMatchesTransformers() {
        Path dir = Fixtures.bundled("stories260K");
        check(ModelLoader.load(dir), dir.resolve("golden/logits.safetensors"), "logits");
    }

    @Test
    void llama8mShardedMatchesTransformers() {
        Path dir = Fixtures.shared("trained/llama-8m");
        check(ModelLoader.load(dir), dir.resolve("golden/logits.safetensors"), "logits");
    }

    static void check(Model model, Path golden, String key) {
        try (SafetensorsFile g = SafetensorsFile.open(golden)) {
            int[] ids = g.get("input_ids").toInts();
            var gl = g.get(key);
            float[] want = gl.toFloats();
            int positions = gl.dim(1), V = gl.dim(2);
            Transformer tf = new Transformer(model);
            float[] got = tf.forward(ids, tf.newCache(ids.length), true);
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < positions * V; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
                maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            }
            System.out.printf("%s: max|diff| %.3g, max|golden| %.3g, ratio %.3g%n", golden, maxDiff, maxAbs, maxDiff / maxAbs);
            assertThat(maxDiff).isLessThanOrEqualTo(1e-4 * maxAbs);
        }
    }
}
