package sq.model;

/**
 * One decoder layer of a sequence's KV cache, and causal grouped-query attention over it: the layer's memory in a
 * {@link KvMemory}, read and written through the sequence's block table. Two kinds: float ({@link FloatLayerCache})
 * and int8 ({@link Int8LayerCache}, the attention BMMs in int8).
 */
public interface LayerCache {
    /** Writes T rows of k and v ([T, kvHeads*headDim], RoPE already applied to k) at positions start..start+T-1. */
    void store(float[] k, float[] v, int tokens, int start);

    /**
     * Attention of T queries at positions start..start+T-1 against cache rows 0..start+t (causal).
     * q, out: [T, heads*headDim]; a: the layer's scale, window, soft-cap and ALiBi.
     */
    void attend(float[] q, float[] out, int tokens, int start, Attention a);

    /** One layer's physical memory for a pool of blocks of {@link KvMemory#BLOCK} positions. */
    interface Memory {
        /** A sequence's cache of this layer: its position j at block table[j / BLOCK]. */
        LayerCache through(int[] table);

        static Memory allocate(ModelConfig cfg, int blocks, boolean int8) {
            return int8 ? new Int8LayerCache.Blocks(cfg, blocks) : new FloatLayerCache.Blocks(cfg, blocks);
        }
    }

    /** A cache of one layer for up to capacity positions in a memory of its own (calibration's layer-by-layer passes). */
    static LayerCache create(ModelConfig cfg, int capacity, boolean int8) {
        int[] table = KvMemory.inOrder(KvMemory.blocksFor(capacity));
        return Memory.allocate(cfg, table.length, int8).through(table);
    }
}
