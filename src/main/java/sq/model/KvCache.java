package sq.model;

/**
 * Keys and values of one sequence's past positions for every layer (float or int8, see {@link LayerCache}): a block
 * table into a {@link KvMemory}, either a memory of its own (the command-line paths) or the engine's pool.
 */
public final class KvCache {
    final LayerCache[] layers;
    private final int[] table;
    private final int capacity;
    private int length;

    /** A cache of capacity positions with a memory of its own, its blocks in order. */
    public KvCache(ModelConfig cfg, int capacity, boolean int8) {
        this(new KvMemory(cfg, KvMemory.blocksFor(capacity), int8), KvMemory.inOrder(KvMemory.blocksFor(capacity)), capacity);
    }

    /**
     * A cache of capacity positions in memory's blocks table[0], table[1], ... (physical block ids, distinct, held
     * by this cache alone until it is dropped).
     */
    public KvCache(KvMemory memory, int[] table, int capacity) {
        if (capacity < 1 || capacity > (long) table.length * KvMemory.BLOCK)
            throw new IllegalArgumentException("capacity " + capacity + " does not fit " + table.length + " blocks");
        for (int b : table)
            if (b < 0 || b >= memory.blocks()) throw new IllegalArgumentException("block " + b + " outside a memory of " + memory.blocks());
        this.table = table.clone();
        this.capacity = capacity;
        layers = new LayerCache[memory.layers.length];
        for (int l = 0; l < layers.length; l++) layers[l] = memory.layers[l].through(this.table);
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** The physical blocks of positions 0.., BLOCK at a time. */
    public int[] blockTable() {
        return table.clone();
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Forgets everything (a new window or prompt) without reallocating. */
    public void clear() {
        length = 0;
    }
}
