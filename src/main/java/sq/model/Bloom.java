package sq.model;

import java.util.List;

/**
 * Bloom: ALiBi instead of positions, a LayerNorm right after the embeddings, query_key_value fused per head
 * ([q | k | v] of each head), tanh-GELU MLP, biases, tied head.
 */
public final class Bloom extends Architecture {
    @Override
    public List<String> hfClasses() {
        return List.of("BloomForCausalLM");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.has("n_embed") ? r.integer("n_embed") : r.integer("hidden_size"); // n_embed wins, as in BloomConfig
        int layers = layers(r, "n_layer"), heads = r.integer("n_head"), headDim = headDim(r, hidden, heads);
        r.require("apply_residual_connection_post_layernorm", false, "residuals taken after the norms");
        r.node("slow_but_exact"); // tensor-parallel merge order: same math
        ignoredByTransformers(r, "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "intermediate_size",
                "max_position_embeddings", "head_dim");
        Block.Builder b = Block.builder();
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = Block.Activation.GELU_TANH;
        b.positions = Block.Positions.ALIBI;
        b.qkvGroups = heads;
        b.embedNorm = true;
        return config(r, hidden, layers, heads, heads, headDim, 4 * hidden, r.integer("vocab_size"), r.integer("seq_length", 1 << 16),
                (float) r.number("layer_norm_epsilon", 1e-5), r.bool("tie_word_embeddings", true), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "transformer.h." + i + ".";
        return new LayerNames(p + "input_layernorm", null, p + "post_attention_layernorm", null, null, null, null, null, null,
                p + "self_attention.query_key_value", p + "self_attention.dense", null, p + "mlp.dense_h_to_4h", null,
                p + "mlp.dense_4h_to_h");
    }

    @Override
    public String embedTokens() {
        return "transformer.word_embeddings";
    }

    @Override
    public String embedNorm() {
        return "transformer.word_embeddings_layernorm";
    }

    @Override
    public String finalNorm() {
        return "transformer.ln_f";
    }
}
