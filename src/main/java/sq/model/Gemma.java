package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.util.List;

/**
 * Gemma 1, 2 and 3 (text): Llama layout with (1 + w) RMSNorm gains, embeddings x sqrt(hidden), GeGLU
 * (hidden_activation). Gemma 2/3: sandwich norms (post_attention_layernorm on the attention's output,
 * pre/post_feedforward_layernorm around the MLP), scores scaled by query_pre_attn_scalar^-0.5, sliding and full
 * layers. Gemma 2: soft-capped scores and logits. Gemma 3: per-head q/k norms, its own RoPE base for local layers.
 */
public final class Gemma extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM");
    }

    @Override
    String activationKey() {
        return "hidden_activation";
    }

    @Override
    void variant(ConfigReader r, Block.Builder b, int hidden, int headDim, int layers, int maxPositions) {
        String cls = r.node("architectures").get(0).asText();
        r.node("hidden_act"); // transformers' Gemma reads hidden_activation, not this legacy key
        causalOnly(r);
        b.norm = Architecture.Norm.RMS_UNIT_OFFSET;
        b.embedScale = (float) Math.sqrt(hidden); // a tensor of the hidden states' dtype in transformers: float32 here
        if (cls.equals("GemmaForCausalLM")) return;
        layout = Block.Layout.SANDWICH;
        b.attnScale = (float) Math.pow(r.number("query_pre_attn_scalar", headDim), -0.5);
        b.attnSoftcap = (float) r.number("attn_logit_softcapping", 0);
        b.finalSoftcap = (float) r.number("final_logit_softcapping", 0);
        if (cls.equals("Gemma2ForCausalLM")) return;
        qkNorm = Block.QkNorm.PER_HEAD;
        JsonNode rope = r.node("rope_parameters");
        if (rope != null && rope.has("sliding_attention")) { // transformers 5: one set per layer type
            b.rope = RopeScaling.parse(rope.get("full_attention"), r.root(), r.file(), b.rotaryDim, maxPositions);
            b.localRope = RopeScaling.parse(rope.get("sliding_attention"), r.root(), r.file(), b.rotaryDim, maxPositions);
        } else { // older configs: rope_theta (+ rope_scaling) for global layers, rope_local_base_freq for local ones
            b.rope = RopeConfig.scaling(r, RopeConfig.params(r), b.rotaryDim, maxPositions);
            double local = r.number("rope_local_base_freq", 10000.0);
            b.localRope = RopeScaling.standard(local, b.rotaryDim);
        }
        if (rope != null && rope.has("sliding_attention") && rope.size() != 2)
            throw InputException.of(r.file(), "'rope_parameters' has layer types other than full_attention and sliding_attention: " + rope);
    }
}
