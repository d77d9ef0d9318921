package sq.model;

/**
 * A mixture-of-experts MLP as config.json declares it: per token, a router (linear, hidden -> experts) picks topK
 * experts and weighs their outputs; optionally a shared expert runs on every token (Qwen2-MoE, weighed by a sigmoid
 * gate). Layers where sparse[l] is false keep the dense MLP (Qwen's mlp_only_layers / decoder_sparse_step).
 *
 * @param routing            where softmax sits relative to the top-k
 * @param normTopK           renormalize the k chosen probabilities to sum 1 (Mixtral always; Qwen: norm_topk_prob)
 * @param intermediate       each expert's ffn width
 * @param sharedIntermediate the shared expert's ffn width, 0 without one
 * @param activation         the experts' gated activation
 * @param alpha              CLAMPED_SWIGLU's sigmoid slope (gpt-oss: 1.702)
 * @param limit              CLAMPED_SWIGLU's clamp (gpt-oss: swiglu_limit, 7)
 */
public record MoeConfig(int experts, int topK, Routing routing, boolean normTopK, int intermediate, int sharedIntermediate,
                        ExpertActivation activation, float alpha, float limit, boolean[] sparse) {

    public enum Routing {
        /** p = softmax(logits) over all experts, then the top-k of p (Mixtral, Qwen2/3-MoE, OLMoE) */
        SOFTMAX_TOPK,
        /** the top-k of the logits, then softmax over those k (gpt-oss) */
        TOPK_SOFTMAX
    }

    public enum ExpertActivation {
        /** down(act(gate x) * up x), act the block's activation */
        GATED,
        /** gpt-oss: g = min(gate x, limit), u = clamp(up x, -limit, limit); down((u + 1) * g * sigmoid(alpha g)) */
        CLAMPED_SWIGLU
    }

    /** Whether layer l's MLP is the mixture (else the dense MLP). */
    public boolean sparseAt(int l) {
        return sparse[l];
    }

    /** Weights of the experts one token reads (topK of them, plus the shared expert), per layer. */
    public long activeExpertWeights(int hidden) {
        return 3L * hidden * ((long) topK * intermediate + sharedIntermediate);
    }
}
