package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.List;

/**
 * Llama-style decoders (RMSNorm, RoPE, grouped-query attention, SwiGLU), the shared base of Llama, Qwen2 and Qwen3.
 * Smoothing groups: input_layernorm -> q,k,v and post_attention_layernorm -> gate,up.
 */
abstract class LlamaFamily extends Architecture {

    @Override
    public ModelConfig parse(JsonNode c, Path file) {
        String act = textField(c, file, "hidden_act", "silu");
        if (!act.equals("silu")) throw InputException.of(file, "hidden_act '" + act + "' is not supported (only silu)");
        JsonNode sw = c.get("sliding_window");
        if (sw != null && !sw.isNull() && boolField(c, file, "use_sliding_window", true))
            throw InputException.of(file, "sliding-window attention (sliding_window=" + sw + ") is not supported");
        String ropeKey = c.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        JsonNode rope = c.get(ropeKey);
        double theta = numField(c, file, "rope_theta", 10000.0);
        if (rope != null && !rope.isNull()) {
            if (!rope.isObject()) throw InputException.of(file, "'" + ropeKey + "' must be an object or null, got " + rope);
            String type = textField(rope, file, "rope_type", textField(rope, file, "type", "default"));
            if (!type.equals("default"))
                throw InputException.of(file, "rope type '" + type + "' is not supported (only default RoPE)");
            theta = numField(rope, file, "rope_theta", theta);
        }
        int hidden = intField(c, file, "hidden_size");
        int heads = intField(c, file, "num_attention_heads");
        int kvHeads = intField(c, file, "num_key_value_heads", heads);
        if (heads % kvHeads != 0)
            throw InputException.of(file, "num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        if (c.path("head_dim").isMissingNode() || c.path("head_dim").isNull())
            if (hidden % heads != 0)
                throw InputException.of(file, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads + " (and no head_dim)");
        int headDim = intField(c, file, "head_dim", hidden / heads);
        if (headDim % 2 != 0) throw InputException.of(file, "head_dim " + headDim + " must be even for RoPE");
        return new ModelConfig(this, hidden, intField(c, file, "num_hidden_layers"), heads, kvHeads, headDim,
                intField(c, file, "intermediate_size"), intField(c, file, "vocab_size"),
                intField(c, file, "max_position_embeddings", 2048),
                (float) numField(c, file, "rms_norm_eps", 1e-6), theta,
                boolField(c, file, "tie_word_embeddings", false), optInt(c, "bos_token_id"), optInt(c, "eos_token_id"));
    }

    @Override
    public LayerNames layer(int i) {
        String p = "model.layers." + i + ".";
        return new LayerNames(p + "input_layernorm", p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
                p + "self_attn.o_proj", qkNorm() ? p + "self_attn.q_norm" : null, qkNorm() ? p + "self_attn.k_norm" : null,
                p + "post_attention_layernorm", p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj");
    }

    /** Qwen3 normalizes each head of q and k with its own RMSNorm before RoPE. */
    boolean qkNorm() {
        return false;
    }

    @Override
    public List<SmoothingGroup> smoothingGroups(int layer) {
        LayerNames n = layer(layer);
        return List.of(new SmoothingGroup(n.attnNorm(), n.q(), n.k(), n.v()),
                new SmoothingGroup(n.mlpNorm(), n.gate(), n.up()));
    }

    @Override
    public String embedTokens() {
        return "model.embed_tokens";
    }

    @Override
    public String finalNorm() {
        return "model.norm";
    }

    @Override
    public Norm norm() {
        return Norm.RMS;
    }

    @Override
    public Mlp mlp() {
        return Mlp.SWIGLU;
    }
}
