package sq.model;

/**
 * One decoder layer's keys and values of past positions, and causal grouped-query attention over them.
 * Two kinds: float ({@link FloatLayerCache}) and int8 ({@link Int8LayerCache}, the attention BMMs in int8).
 */
public interface LayerCache {
    /** Writes T rows of k and v ([T, kvHeads*headDim], RoPE already applied to k) at positions start..start+T-1. */
    void store(float[] k, float[] v, int tokens, int start);

    /**
     * Attention of T queries at positions start..start+T-1 against cache rows 0..start+t (causal).
     * q, out: [T, heads*headDim]; a: the layer's scale, window, soft-cap and ALiBi.
     */
    void attend(float[] q, float[] out, int tokens, int start, Attention a);

    static LayerCache create(ModelConfig cfg, int capacity, boolean int8) {
        return int8 ? new Int8LayerCache(cfg, capacity) : new FloatLayerCache(cfg, capacity);
    }
}
