package sq.model;

import java.util.List;

/**
 * GPT-2: learned positions, LayerNorm pre-norm blocks, c_attn fused [q | k | v], tanh-GELU MLP c_fc / c_proj,
 * biases, tied head. Its Conv1D modules store weights [in, out]: transposed once on load.
 */
public final class Gpt2 extends Architecture {
    @Override
    public List<String> hfClasses() {
        return List.of("GPT2LMHeadModel");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("n_embd"), layers = layers(r, "n_layer"), heads = r.integer("n_head");
        r.require("scale_attn_weights", true, "unscaled attention scores");
        r.require("scale_attn_by_inverse_layer_idx", false, "scores scaled by 1 / layer index");
        r.require("add_cross_attention", false, "cross-attention");
        r.node("reorder_and_upcast_attn"); // the same scores computed in another order, in float32 as here
        ignoredByTransformers(r, "num_key_value_heads", "intermediate_size", "hidden_size", "num_attention_heads",
                "num_hidden_layers", "max_position_embeddings", "head_dim", "n_ctx");
        Block.Builder b = Block.builder();
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = activation(r, "activation_function", "gelu_new");
        b.positions = Block.Positions.LEARNED;
        b.qkvGroups = 1;
        return config(r, hidden, layers, heads, heads, headDim(r, hidden, heads), r.integer("n_inner", 4 * hidden),
                r.integer("vocab_size"), r.integer("n_positions"), (float) r.number("layer_norm_epsilon", 1e-5),
                r.bool("tie_word_embeddings", true), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "transformer.h." + i + ".";
        return new LayerNames(p + "ln_1", null, p + "ln_2", null, null, null, null, null, null, p + "attn.c_attn",
                p + "attn.c_proj", null, p + "mlp.c_fc", null, p + "mlp.c_proj");
    }

    @Override
    public String embedTokens() {
        return "transformer.wte";
    }

    @Override
    public String embedPositions() {
        return "transformer.wpe";
    }

    @Override
    public String finalNorm() {
        return "transformer.ln_f";
    }

    @Override
    public boolean transposedWeights() {
        return true;
    }
}
