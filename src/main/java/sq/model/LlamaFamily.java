package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

/**
 * Decoders laid out as Llama's (model.layers.i.self_attn.q/k/v/o_proj, mlp.gate/up/down_proj, RMSNorm, RoPE, GQA),
 * the base of Llama, Mistral, Qwen2/3, Granite, SmolLM3, OLMo 2, Gemma 1-3 and Phi-3: each declares what its config
 * adds in {@link #variant}.
 */
abstract class LlamaFamily extends Architecture {
    Block.QkNorm qkNorm = Block.QkNorm.NONE;
    boolean fused;

    @Override
    public ModelConfig parse(ConfigReader r) {
        int hidden = r.integer("hidden_size"), layers = layers(r, "num_hidden_layers"), heads = r.integer("num_attention_heads");
        int kvHeads = r.integer("num_key_value_heads", heads);
        int headDim = r.has("head_dim") ? r.integer("head_dim") : headDim(r, hidden, heads);
        int maxPositions = r.integer("max_position_embeddings", 2048);
        Block.Builder b = Block.builder();
        b.activation = activation(r, activationKey(), "silu");
        r.bool("attention_bias", false); // biases are read where the checkpoint has them
        r.bool("mlp_bias", false);
        JsonNode rope = RopeConfig.params(r);
        b.rotaryDim = RopeConfig.rotaryDim(r, rope, headDim);
        variant(r, b, hidden, headDim, layers, maxPositions);
        if (b.rope == null && b.positions == Block.Positions.ROPE) b.rope = RopeConfig.scaling(r, rope, b.rotaryDim, maxPositions);
        if (b.windows == null) b.windows = SlidingWindows.of(r, layers);
        b.layout = layout;
        b.qkNorm = qkNorm;
        if (fused) {
            b.qkvGroups = 1;
            b.fusedGateUp = true;
        }
        return config(r, hidden, layers, heads, kvHeads, headDim, r.integer("intermediate_size"), r.integer("vocab_size"),
                maxPositions, (float) r.number("rms_norm_eps", 1e-6), r.bool("tie_word_embeddings", false), b);
    }

    /** The config key of the MLP's activation. */
    String activationKey() {
        return "hidden_act";
    }

    /** What this family's config adds to a Llama block (fields of this instance and of the block). */
    void variant(ConfigReader r, Block.Builder b, int hidden, int headDim, int layers, int maxPositions) {
    }

    @Override
    public LayerNames layer(int i) {
        String p = "model.layers." + i + ".";
        boolean sandwich = layout == Block.Layout.SANDWICH, post = layout == Block.Layout.POST_NORM;
        String attnNorm = post ? null : p + "input_layernorm";
        String postAttn = sandwich || post ? p + "post_attention_layernorm" : null;
        String mlpNorm = post ? null : sandwich ? p + "pre_feedforward_layernorm" : p + "post_attention_layernorm";
        String postMlp = sandwich || post ? p + "post_feedforward_layernorm" : null;
        boolean qk = qkNorm != Block.QkNorm.NONE;
        return new LayerNames(attnNorm, postAttn, mlpNorm, postMlp, qk ? p + "self_attn.q_norm" : null, qk ? p + "self_attn.k_norm" : null,
                fused ? null : p + "self_attn.q_proj", fused ? null : p + "self_attn.k_proj", fused ? null : p + "self_attn.v_proj",
                fused ? p + "self_attn.qkv_proj" : null, p + "self_attn.o_proj",
                fused ? null : p + "mlp.gate_proj", fused ? null : p + "mlp.up_proj", fused ? p + "mlp.gate_up_proj" : null,
                p + "mlp.down_proj");
    }

    @Override
    public String embedTokens() {
        return "model.embed_tokens";
    }

    @Override
    public String finalNorm() {
        return "model.norm";
    }

    /** Refuses bidirectional (encoder-style) attention, which some decoder configs can switch on. */
    static void causalOnly(ConfigReader r) {
        if (r.bool("use_bidirectional_attention", false))
            throw InputException.of(r.file(), "'use_bidirectional_attention' = true is not supported (causal decoders only)");
    }
}
