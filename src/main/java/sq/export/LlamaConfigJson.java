package sq.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Json;
import sq.model.ModelConfig;

/** A transformers config.json for models that came without one (llama2.c checkpoints are Llama). */
final class LlamaConfigJson {
    private LlamaConfigJson() {
    }

    static ObjectNode of(ModelConfig c) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", "llama").put("hidden_size", c.hidden()).put("intermediate_size", c.intermediate())
                .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads()).put("num_key_value_heads", c.kvHeads())
                .put("head_dim", c.headDim()).put("vocab_size", c.vocab()).put("max_position_embeddings", c.maxPositions())
                .put("rms_norm_eps", c.normEps()).put("hidden_act", "silu").put("tie_word_embeddings", c.tiedEmbeddings())
                .put("dtype", "float32");
        o.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", c.ropeTheta());
        if (c.bosId() != null) o.put("bos_token_id", c.bosId());
        if (c.eosId() != null) o.put("eos_token_id", c.eosId());
        return o;
    }
}
