package sq.model;

import java.util.List;

/**
 * gpt-oss: attention with biases and per-head sinks, sliding/full layers, yarn; mlp.router (with bias) takes the top-k
 * logits and softmaxes those; experts fused in 3-D tensors, gate_up_proj [experts, hidden, 2 intermediate] with gate
 * and up interleaved per column and down_proj [experts, intermediate, hidden], both with biases; the clamped SwiGLU
 * (alpha 1.702, swiglu_limit). Loaded per expert under the names llm-compressor and vLLM give the unfused experts,
 * mlp.experts.e.gate_proj / up_proj / down_proj.
 */
public final class GptOss extends MoeFamily {
    /** transformers' GptOssExperts.alpha (not a config key) */
    static final float ALPHA = 1.702f;

    @Override
    public List<String> hfClasses() {
        return List.of("GptOssForCausalLM");
    }

    @Override
    MoeNames names(String p) {
        return new MoeNames(p + "mlp.router", p + "mlp.experts.", "gate_proj", "up_proj", "down_proj", p + "mlp.experts.gate_up_proj",
                p + "mlp.experts.down_proj", null, null);
    }

    @Override
    MoeConfig moeConfig(ConfigReader r, int experts, int topK, boolean[] sparse) {
        return new MoeConfig(experts, topK, MoeConfig.Routing.TOPK_SOFTMAX, false, r.integer("intermediate_size"), 0,
                MoeConfig.ExpertActivation.CLAMPED_SWIGLU, ALPHA, (float) r.number("swiglu_limit", 7.0), sparse);
    }

    @Override
    public String sinks(int layer) {
        return "model.layers." + layer + ".self_attn.sinks";
    }
}
