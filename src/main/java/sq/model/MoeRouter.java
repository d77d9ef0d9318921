package sq.model;

/**
 * Top-k routing exactly as transformers computes it per architecture, in float32: for each token, the k experts and
 * their weights from the router's logits [T, experts].
 */
final class MoeRouter {
    private MoeRouter() {
    }

    /**
     * @param logits  [T, E] router outputs
     * @param experts out [T, k]: chosen experts, by decreasing score (ties: the lower index first, as torch.topk)
     * @param weights out [T, k]: their weights
     */
    static void route(MoeConfig c, float[] logits, int T, int[] experts, float[] weights) {
        int E = c.experts(), K = c.topK();
        float[] p = new float[E];
        for (int t = 0; t < T; t++) {
            System.arraycopy(logits, t * E, p, 0, E);
            if (c.routing() == MoeConfig.Routing.SOFTMAX_TOPK) Softmax.inPlace(p, E);
            for (int k = 0; k < K; k++) { // selection: K is small
                int best = -1;
                for (int e = 0; e < E; e++) {
                    if (chosen(experts, t * K, k, e)) continue;
                    if (best < 0 || p[e] > p[best]) best = e;
                }
                experts[t * K + k] = best;
                weights[t * K + k] = p[best];
            }
            if (c.routing() == MoeConfig.Routing.TOPK_SOFTMAX) Softmax.inPlace(weights, t * K, K);
            else if (c.normTopK()) {
                float sum = 0;
                for (int k = 0; k < K; k++) sum += weights[t * K + k];
                for (int k = 0; k < K; k++) weights[t * K + k] /= sum;
            }
        }
    }

    private static boolean chosen(int[] experts, int off, int k, int e) {
        for (int i = 0; i < k; i++) if (experts[off + i] == e) return true;
        return false;
    }
}
