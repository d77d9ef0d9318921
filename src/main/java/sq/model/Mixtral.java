package sq.model;

import java.util.List;

/**
 * Mixtral: Mistral attention, block_sparse_moe with per-expert w1 (gate), w3 (up), w2 (down); softmax over all
 * experts, top-k, the k weights renormalized (always).
 */
public final class Mixtral extends MoeFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("MixtralForCausalLM");
    }

    @Override
    MoeNames names(String p) {
        return new MoeNames(p + "block_sparse_moe.gate", p + "block_sparse_moe.experts.", "w1", "w3", "w2", null, null, null, null);
    }

    @Override
    MoeConfig moeConfig(ConfigReader r, int experts, int topK, boolean[] sparse) {
        ignoredByTransformers(r, "router_jitter_noise"); // training only
        return new MoeConfig(experts, topK, MoeConfig.Routing.SOFTMAX_TOPK, true, r.integer("intermediate_size"), 0,
                MoeConfig.ExpertActivation.GATED, 0, 0, sparse);
    }
}
