package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.List;

/**
 * OPT: pre-LN LayerNorm blocks with biases, learned positions (2 offset rows), ReLU MLP fc1/fc2, tied head.
 * Smoothing groups: self_attn_layer_norm -> q,k,v and final_layer_norm -> fc1.
 */
public final class Opt extends Architecture {
    @Override
    public List<String> hfClasses() {
        return List.of("OPTForCausalLM");
    }

    @Override
    public ModelConfig parse(JsonNode c, Path file) {
        if (!boolField(c, file, "do_layer_norm_before", true))
            throw InputException.of(file, "post-LN OPT (do_layer_norm_before=false, e.g. opt-350m) is not supported");
        String act = textField(c, file, "activation_function", "relu");
        if (!act.equals("relu")) throw InputException.of(file, "activation_function '" + act + "' is not supported (only relu)");
        int hidden = intField(c, file, "hidden_size");
        int proj = intField(c, file, "word_embed_proj_dim", hidden);
        if (proj != hidden)
            throw InputException.of(file, "word_embed_proj_dim " + proj + " != hidden_size " + hidden + " (project_in/out) is not supported");
        if (!boolField(c, file, "layer_norm_elementwise_affine", true))
            throw InputException.of(file, "layer_norm_elementwise_affine=false is not supported");
        int heads = intField(c, file, "num_attention_heads");
        if (hidden % heads != 0)
            throw InputException.of(file, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        return new ModelConfig(this, hidden, intField(c, file, "num_hidden_layers"), heads, heads, hidden / heads,
                intField(c, file, "ffn_dim"), intField(c, file, "vocab_size"), intField(c, file, "max_position_embeddings"),
                1e-5f, 0, boolField(c, file, "tie_word_embeddings", true), optInt(c, "bos_token_id"), optInt(c, "eos_token_id"));
    }

    @Override
    public LayerNames layer(int i) {
        String p = "model.decoder.layers." + i + ".";
        return new LayerNames(p + "self_attn_layer_norm", p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
                p + "self_attn.out_proj", null, null, p + "final_layer_norm", null, p + "fc1", p + "fc2");
    }

    @Override
    public List<SmoothingGroup> smoothingGroups(int layer) {
        LayerNames n = layer(layer);
        return List.of(new SmoothingGroup(n.attnNorm(), n.q(), n.k(), n.v()), new SmoothingGroup(n.mlpNorm(), n.up()));
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
    public int positionOffset() {
        return 2;
    }

    @Override
    public String finalNorm() {
        return "model.decoder.final_layer_norm";
    }

    @Override
    public Norm norm() {
        return Norm.LAYER;
    }

    @Override
    public Mlp mlp() {
        return Mlp.RELU;
    }
}
