package sq.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.InputException;
import sq.io.Json;
import sq.testing.Fixtures;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Configs that contradict what we can compute, or the weights: one line naming the file and the key, never a wrong forward. */
class ZooBadInputTest {
    @TempDir
    Path tmp;

    /** A copy of a zoo fixture whose config.json is edited. */
    private Path edited(String fixture, Consumer<ObjectNode> edit) throws Exception {
        Path src = Fixtures.shared("zoo/" + fixture), dir = Files.createDirectories(tmp.resolve(fixture));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectNode config = (ObjectNode) Json.read(src.resolve("config.json")).deepCopy();
        edit.accept(config);
        Files.writeString(dir.resolve("config.json"), Json.MAPPER.writeValueAsString(config));
        return dir;
    }

    private void refused(Path dir, String... fragments) {
        var a = assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(InputException.class);
        for (String f : fragments) a.hasMessageContaining(f);
    }

    @Test
    void unknownArchitecture() throws Exception {
        refused(edited("llama3", c -> c.putArray("architectures").add("MambaForCausalLM")),
                "config.json", "unsupported architecture 'MambaForCausalLM'", "Gemma2ForCausalLM");
    }

    @Test
    void unknownRopeType() throws Exception {
        refused(edited("llama3", c -> ((ObjectNode) c.get("rope_parameters")).put("rope_type", "superrope")),
                "config.json", "rope type 'superrope' is not supported");
    }

    @Test
    void unreadMathKeyIsRefused() throws Exception {
        refused(edited("llama3", c -> c.put("attn_logit_softcapping", 30.0)), "config.json", "'attn_logit_softcapping'", "refusing");
        refused(edited("mistral", c -> c.put("use_bidirectional_attention", true)), "'use_bidirectional_attention'");
    }

    @Test
    void unsupportedValuesAreNamed() throws Exception {
        refused(edited("falcon-7b", c -> c.put("alibi", true)), "'alibi' = true is not supported");
        refused(edited("gpt2", c -> c.put("scale_attn_by_inverse_layer_idx", true)), "'scale_attn_by_inverse_layer_idx'");
        refused(edited("phi2", c -> c.put("hidden_act", "swiglu_xl")), "'hidden_act' = 'swiglu_xl' is not supported");
        refused(edited("gemma2", c -> c.putArray("layer_types").add("sliding_attention")), "'layer_types' must list one type per layer");
    }

    @Test
    void configContradictingTheWeights() throws Exception {
        // Qwen3 reads per-head q/k norms that this Llama checkpoint does not have
        refused(edited("llama3", c -> c.putArray("architectures").add("Qwen3ForCausalLM")),
                "missing tensor 'model.layers.0.self_attn.q_norm.weight'");
        // 4 kv heads would make the fused qkv_proj 192 rows, the checkpoint has 128
        refused(edited("phi3", c -> c.put("num_key_value_heads", 4)), "model.layers.0.self_attn.qkv_proj.weight", "[128, 64]");
    }
}
