package sq.model;

/**
 * The layout of a fused q/k/v projection's output (and weight rows): groups of [q heads | k heads | v heads], each
 * group holding heads/groups query heads and kvHeads/groups key and value heads. One group is Phi-3's and
 * Falcon-7B's [q | k | v]; one group per kv head is Falcon-40B's; one per head (kv = heads) Bloom's and GPT-NeoX's.
 */
final class FusedQkv {
    private FusedQkv() {
    }

    /** fused [T, qDim + 2 kvDim] -> q [T, qDim], k, v [T, kvDim]. */
    static void split(float[] fused, int T, ModelConfig c, int groups, float[] q, float[] k, float[] v) {
        int hd = c.headDim(), qg = c.heads() / groups * hd, kg = c.kvHeads() / groups * hd, width = c.qDim() + 2 * c.kvDim();
        for (int t = 0; t < T; t++) {
            int src = t * width;
            for (int g = 0; g < groups; g++) {
                System.arraycopy(fused, src, q, t * c.qDim() + g * qg, qg);
                System.arraycopy(fused, src + qg, k, t * c.kvDim() + g * kg, kg);
                System.arraycopy(fused, src + qg + kg, v, t * c.kvDim() + g * kg, kg);
                src += qg + 2 * kg;
            }
        }
    }

    /** Whether heads and kv heads divide into that many groups. */
    static boolean fits(ModelConfig c, int groups) {
        return groups > 0 && c.heads() % groups == 0 && c.kvHeads() % groups == 0;
    }
}
