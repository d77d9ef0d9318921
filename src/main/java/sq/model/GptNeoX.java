package sq.model;

import java.util.List;

/**
 * GPT-NeoX (Pythia): query_key_value fused per head, rotary on the leading share of each head's dims, LayerNorm,
 * GELU MLP; with use_parallel_residual, h += attn(ln1 h) + mlp(ln2 h).
 */
public final class GptNeoX extends Architecture {
    @Override
    public List<String> hfClasses() {
        return List.of("GPTNeoXForCausalLM");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("hidden_size"), layers = layers(r, "num_hidden_layers"), heads = r.integer("num_attention_heads");
        int headDim = headDim(r, hidden, heads), maxPositions = r.integer("max_position_embeddings", 2048);
        layout = r.bool("use_parallel_residual", true) ? Block.Layout.PARALLEL_TWO_NORMS : Block.Layout.PRE_NORM;
        r.bool("attention_bias", true); // biases are read where the checkpoint has them
        r.node("is_decoder");
        ignoredByTransformers(r, "num_key_value_heads", "head_dim");
        Block.Builder b = Block.builder();
        b.layout = layout;
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = activation(r, "hidden_act", "gelu");
        b.qkvGroups = heads;
        r.require("rotary_emb_base", 10000, "older configs' RoPE base other than 10000; give it as rope_theta");
        RopeConfig.apply(r, b, headDim, maxPositions);
        return config(r, hidden, layers, heads, heads, headDim, r.integer("intermediate_size"), r.integer("vocab_size"),
                maxPositions, (float) r.number("layer_norm_eps", 1e-5), r.bool("tie_word_embeddings", false), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "gpt_neox.layers." + i + ".";
        return new LayerNames(p + "input_layernorm", null, p + "post_attention_layernorm", null, null, null, null, null, null,
                p + "attention.query_key_value", p + "attention.dense", null, p + "mlp.dense_h_to_4h", null, p + "mlp.dense_4h_to_h");
    }

    @Override
    public String embedTokens() {
        return "gpt_neox.embed_in";
    }

    @Override
    public String finalNorm() {
        return "gpt_neox.final_layer_norm";
    }

    @Override
    public String lmHead() {
        return "embed_out";
    }
}
