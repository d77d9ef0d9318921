package sq.model;

import java.util.List;

/**
 * Qwen3-MoE (Qwen3-30B-A3B, 235B-A22B): Qwen3 attention (per-head q/k norm), mlp.experts.e.gate/up/down_proj of
 * moe_intermediate_size, softmax then top-k (renormalized when norm_topk_prob), no shared expert.
 */
public final class Qwen3Moe extends MoeFamily {
    public Qwen3Moe() {
        qkNorm = Block.QkNorm.PER_HEAD;
    }

    @Override
    public List<String> hfClasses() {
        return List.of("Qwen3MoeForCausalLM");
    }

    @Override
    MoeNames names(String p) {
        return new MoeNames(p + "mlp.gate", p + "mlp.experts.", "gate_proj", "up_proj", "down_proj", null, null, null, null);
    }

    @Override
    MoeConfig moeConfig(ConfigReader r, int experts, int topK, boolean[] sparse) {
        return new MoeConfig(experts, topK, MoeConfig.Routing.SOFTMAX_TOPK, r.bool("norm_topk_prob", false),
                r.integer("moe_intermediate_size"), 0, MoeConfig.ExpertActivation.GATED, 0, 0, sparse);
    }
}
