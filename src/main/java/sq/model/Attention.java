package sq.model;

/**
 * The attention of one decoder layer beyond q, k and v: score_ij = softcap(scale * q_i.k_j) + slope_h * j for the
 * keys j a query at position i sees (i - window < j <= i; all j <= i when window is 0).
 *
 * @param softcap     cap * tanh(s / cap) on the scaled scores (Gemma 2); 0 = none
 * @param alibiSlopes per query head, ALiBi's slope (Bloom); null = none
 * @param sinks       per query head, a learned logit that joins each softmax's normalization and is dropped (gpt-oss's
 *                    attention sinks: the probabilities over the keys sum to less than 1); null = none
 */
public record Attention(float scale, float softcap, int window, float[] alibiSlopes, float[] sinks) {

    public Attention(float scale, float softcap, int window, float[] alibiSlopes) {
        this(scale, softcap, window, alibiSlopes, null);
    }

    /** The same attention with this layer's sinks (null: none). */
    Attention withSinks(float[] sinks) {
        return sinks == this.sinks ? this : new Attention(scale, softcap, window, alibiSlopes, sinks);
    }

    /** Softmax over scores[off, off + n) of query head `head`, with its sink where there are sinks. */
    void softmax(float[] scores, int off, int n, int head) {
        Softmax.inPlace(scores, off, n, sinks == null ? Float.NEGATIVE_INFINITY : sinks[head]);
    }

    /** Plain causal attention with scale head_dim^-0.5. */
    public static Attention standard(int headDim) {
        return new Attention((float) (1.0 / Math.sqrt(headDim)), 0, 0, null);
    }

    /** The first key a query at position pos sees. */
    int firstKey(int pos) {
        return window > 0 ? Math.max(0, pos - window + 1) : 0;
    }

    /** Whether scores need more than the scale (soft-cap or ALiBi). */
    boolean adjustsScores() {
        return softcap != 0 || alibiSlopes != null;
    }

    /** The score of key j for query head h after the scale: soft-cap, then the ALiBi bias. */
    float adjust(float scaled, int head, int j) {
        float s = softcap != 0 ? (float) Math.tanh(scaled / softcap) * softcap : scaled;
        return alibiSlopes != null ? s + alibiSlopes[head] * j : s;
    }

    /**
     * ALiBi slopes of Bloom for n heads: the closest power of two p <= n gets 2^(-8i/p), i = 1..p; the remaining n - p
     * heads take every other slope of the 2p sequence, 2^(-4(2i-1)/p)... (as transformers' build_alibi_tensor).
     */
    public static float[] alibiSlopes(int heads) {
        int p = Integer.highestOneBit(heads);
        float base = (float) Math.pow(2, -Math.pow(2, -(Math.log(p) / Math.log(2) - 3)));
        float[] s = new float[heads];
        for (int i = 0; i < p; i++) s[i] = (float) Math.pow(base, i + 1);
        if (p != heads) {
            float extra = (float) Math.pow(2, -Math.pow(2, -(Math.log(2 * p) / Math.log(2) - 3)));
            for (int i = 0; i < heads - p; i++) s[p + i] = (float) Math.pow(extra, 2 * i + 1);
        }
        return s;
    }
}
