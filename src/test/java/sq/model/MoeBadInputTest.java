package sq.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.InputException;
import sq.io.Json;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A mixture-of-experts checkpoint that contradicts itself (models/mixtral-4m, edited in a temp folder): one line naming
 * the file and the key, never a forward with a wrong router or a missing expert.
 */
class MoeBadInputTest {
    static final Path SRC = Path.of("models/mixtral-4m");
    @TempDir
    Path tmp;

    /** A copy whose config.json is edited and whose tensors go through weights (null: dropped). */
    private Path edited(Consumer<ObjectNode> config, Function<TensorSlice, float[]> weights) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        ObjectNode c = (ObjectNode) Json.read(SRC.resolve("config.json")).deepCopy();
        config.accept(c);
        Files.writeString(dir.resolve("config.json"), Json.MAPPER.writeValueAsString(c));
        if (weights == null) {
            Files.copy(SRC.resolve("model.safetensors"), dir.resolve("model.safetensors"));
            return dir;
        }
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(SRC.resolve("model.safetensors"))) {
            for (TensorSlice t : f.tensors().values()) {
                float[] v = weights.apply(t);
                if (v != null) w.add(t.name(), v, v.length == t.numel() ? t.shape() : new long[]{v.length / t.dim(1), t.dim(1)});
            }
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static void refused(Path dir, String... fragments) {
        var a = assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(InputException.class);
        a.satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
        for (String f : fragments) a.hasMessageContaining(f);
    }

    @Test
    void moreExpertsPerTokenThanExperts() throws Exception {
        refused(edited(c -> c.put("num_experts_per_tok", 9), null), "config.json", "'num_experts_per_tok' 9 is larger than the 8 experts");
    }

    @Test
    void unknownRoutingVariant() throws Exception {
        refused(edited(c -> c.put("scoring_func", "sigmoid"), null), "config.json", "'scoring_func'", "refusing");
    }

    @Test
    void routerOfTheWrongShape() throws Exception {
        String router = "model.layers.2.block_sparse_moe.gate.weight";
        refused(edited(c -> { }, t -> t.name().equals(router) ? java.util.Arrays.copyOf(t.toFloats(), 7 * 128) : t.toFloats()),
                "model.safetensors", router, "[7, 128]", "[8, 128]");
    }

    @Test
    void missingExpertTensor() throws Exception {
        String w2 = "model.layers.3.block_sparse_moe.experts.5.w2.weight";
        refused(edited(c -> { }, t -> t.name().equals(w2) ? null : t.toFloats()), w2);
    }
}
