package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.util.List;

/**
 * Falcon: fused query_key_value, RoPE, GELU MLP dense_h_to_4h / dense_4h_to_h, LayerNorm. Falcon-7B: multi-query,
 * one input_layernorm feeding attention and MLP in parallel (one smoothing group for both). The new decoder
 * architecture (Falcon-40B/180B): kv groups of [q heads | k | v] and, with num_ln_in_parallel_attn 2, ln_attn and
 * ln_mlp. Without parallel_attn: a sequential pre-norm block. ALiBi Falcons are refused.
 */
public final class Falcon extends Architecture {
    private boolean twoNorms;

    @Override
    public List<String> hfClasses() {
        return List.of("FalconForCausalLM");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("hidden_size"), layers = layers(r, "num_hidden_layers"), heads = r.integer("num_attention_heads");
        int headDim = headDim(r, hidden, heads), maxPositions = r.integer("max_position_embeddings", 2048);
        r.require("alibi", false, "ALiBi Falcon (falcon-rw)");
        boolean newArch = r.bool("new_decoder_architecture", false), multiQuery = r.bool("multi_query", true);
        boolean parallel = r.bool("parallel_attn", true);
        JsonNode lns = r.node("num_ln_in_parallel_attn");
        int kvHeads = newArch ? r.integer("num_kv_heads", heads) : multiQuery ? 1 : heads;
        if (!newArch) r.node("num_kv_heads"); // transformers reads it only for the new architecture
        twoNorms = newArch && (lns == null || lns.asInt() == 2);
        if (newArch && lns != null && lns.asInt() != 1 && lns.asInt() != 2)
            throw InputException.of(r.file(), "'num_ln_in_parallel_attn' must be 1 or 2, got " + lns);
        if (newArch && !parallel) throw InputException.of(r.file(), "'parallel_attn' = false with new_decoder_architecture is not supported");
        layout = twoNorms ? Block.Layout.PARALLEL_TWO_NORMS : parallel ? Block.Layout.PARALLEL : Block.Layout.PRE_NORM;
        r.bool("bias", false); // biases are read where the checkpoint has them
        ignoredByTransformers(r, "intermediate_size", "num_key_value_heads", "head_dim");
        Block.Builder b = Block.builder();
        b.layout = layout;
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = activation(r, "activation", "gelu");
        b.qkvGroups = newArch ? kvHeads : multiQuery ? 1 : heads;
        b.rope = RopeConfig.scaling(r, RopeConfig.params(r), headDim, maxPositions);
        return config(r, hidden, layers, heads, kvHeads, headDim, r.integer("ffn_hidden_size", 4 * hidden), r.integer("vocab_size"),
                maxPositions, (float) r.number("layer_norm_epsilon", 1e-5), r.bool("tie_word_embeddings", true), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "transformer.h." + i + ".";
        String attnNorm = twoNorms ? p + "ln_attn" : p + "input_layernorm";
        String mlpNorm = twoNorms ? p + "ln_mlp" : layout == Block.Layout.PRE_NORM ? p + "post_attention_layernorm" : null;
        return new LayerNames(attnNorm, null, mlpNorm, null, null, null, null, null, null, p + "self_attention.query_key_value",
                p + "self_attention.dense", null, p + "mlp.dense_h_to_4h", null, p + "mlp.dense_4h_to_h");
    }

    @Override
    public String embedTokens() {
        return "transformer.word_embeddings";
    }

    @Override
    public String finalNorm() {
        return "transformer.ln_f";
    }
}
