package sq.model;

import java.util.List;

/**
 * Phi-1/1.5/2: one LayerNorm feeding attention and MLP in parallel (h += dense(attn(x)) + fc2(gelu(fc1 x))), biases
 * everywhere, partial rotary, a biased lm_head. Smoothing: input_layernorm -> q, k, v and fc1 in one group.
 */
public final class Phi extends Architecture {
    public Phi() {
        layout = Block.Layout.PARALLEL;
    }

    @Override
    public List<String> hfClasses() {
        return List.of("PhiForCausalLM");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("hidden_size"), layers = layers(r, "num_hidden_layers"), heads = r.integer("num_attention_heads");
        int kvHeads = r.integer("num_key_value_heads", heads), headDim = headDim(r, hidden, heads);
        int maxPositions = r.integer("max_position_embeddings", 2048);
        r.require("qk_layernorm", false, "Phi's optional q/k LayerNorm");
        Block.Builder b = Block.builder();
        b.layout = layout;
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = activation(r, "hidden_act", "gelu_new");
        RopeConfig.apply(r, b, headDim, maxPositions);
        return config(r, hidden, layers, heads, kvHeads, headDim, r.integer("intermediate_size"), r.integer("vocab_size"),
                maxPositions, (float) r.number("layer_norm_eps", 1e-5), r.bool("tie_word_embeddings", false), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "model.layers." + i + ".";
        return LayerNames.of(p + "input_layernorm", p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
                p + "self_attn.dense", null, null, null, null, p + "mlp.fc1", p + "mlp.fc2");
    }

    @Override
    public String embedTokens() {
        return "model.embed_tokens";
    }

    @Override
    public String finalNorm() {
        return "model.final_layernorm";
    }
}
