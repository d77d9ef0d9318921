package sq.model;

import java.util.List;

/**
 * Qwen2-MoE (Qwen1.5-MoE, Qwen2-57B-A14B): Qwen2 attention (q/k/v biases), mlp.experts.e.gate/up/down_proj of
 * moe_intermediate_size, softmax then top-k (renormalized when norm_topk_prob), plus a shared expert of
 * shared_expert_intermediate_size weighed by sigmoid(shared_expert_gate x); mlp_only_layers / decoder_sparse_step
 * keep a dense MLP of intermediate_size.
 */
public final class Qwen2Moe extends MoeFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("Qwen2MoeForCausalLM");
    }

    @Override
    MoeNames names(String p) {
        return new MoeNames(p + "mlp.gate", p + "mlp.experts.", "gate_proj", "up_proj", "down_proj", null, null,
                p + "mlp.shared_expert", p + "mlp.shared_expert_gate");
    }

    @Override
    MoeConfig moeConfig(ConfigReader r, int experts, int topK, boolean[] sparse) {
        r.bool("qkv_bias", true); // biases are read where the checkpoint has them
        return new MoeConfig(experts, topK, MoeConfig.Routing.SOFTMAX_TOPK, r.bool("norm_topk_prob", false),
                r.integer("moe_intermediate_size"), r.integer("shared_expert_intermediate_size"), MoeConfig.ExpertActivation.GATED,
                0, 0, sparse);
    }
}
