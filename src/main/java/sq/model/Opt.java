package sq.model;

import sq.io.InputException;

import java.util.List;

/**
 * OPT: LayerNorm blocks with biases, learned positions (2 offset rows), ReLU MLP fc1/fc2, tied head. Pre-LN (OPT
 * 125m, 1.3b+), or post-LN (do_layer_norm_before false: OPT-350m, whose 512-wide embeddings also go through
 * project_in / project_out around the 1024-wide decoder). Post-LN blocks have no norm in front of their linears, so
 * SmoothQuant has nothing to fold into there.
 */
public final class Opt extends Architecture {
    private boolean projected;

    @Override
    public List<String> hfClasses() {
        return List.of("OPTForCausalLM");
    }

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("hidden_size"), heads = r.integer("num_attention_heads");
        boolean pre = r.bool("do_layer_norm_before", true);
        layout = pre ? Block.Layout.PRE_NORM : Block.Layout.POST_LN;
        r.require("enable_bias", true, "OPT without biases");
        r.require("layer_norm_elementwise_affine", true, "LayerNorm without gains");
        ignoredByTransformers(r, "num_key_value_heads", "intermediate_size", "head_dim");
        Block.Builder b = Block.builder();
        b.layout = layout;
        b.norm = Norm.LAYER;
        b.gated = false;
        b.activation = activation(r, "activation_function", "relu");
        b.positions = Block.Positions.LEARNED;
        b.positionOffset = 2;
        boolean removed = r.bool("_remove_final_layer_norm", false);
        b.finalNorm = pre && !removed;
        int proj = r.integer("word_embed_proj_dim", hidden);
        projected = proj != hidden;
        b.embedDim = proj;
        if (hidden % heads != 0)
            throw InputException.of(r.file(), "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        return config(r, hidden, layers(r, "num_hidden_layers"), heads, heads, hidden / heads, r.integer("ffn_dim"),
                r.integer("vocab_size"), r.integer("max_position_embeddings"), 1e-5f, r.bool("tie_word_embeddings", true), b);
    }

    @Override
    public LayerNames layer(int i) {
        String p = "model.decoder.layers." + i + ".";
        return LayerNames.of(p + "self_attn_layer_norm", p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
                p + "self_attn.out_proj", null, null, p + "final_layer_norm", null, p + "fc1", p + "fc2");
    }

    @Override
    public String embedTokens() {
        return "model.decoder.embed_tokens";
    }

    @Override
    public String embedPositions() {
        return "model.decoder.embed_positions";
    }

    @Override
    public String projectIn() {
        return projected ? "model.decoder.project_in" : null;
    }

    @Override
    public String projectOut() {
        return projected ? "model.decoder.project_out" : null;
    }

    @Override
    public String finalNorm() {
        return layout == Block.Layout.PRE_NORM ? "model.decoder.final_layer_norm" : null;
    }
}
