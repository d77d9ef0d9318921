package sq.model;

/**
 * The physical KV memory of a pool of blocks of {@link #BLOCK} positions, for every layer, allocated once (vLLM's
 * paged attention): block b holds positions b * BLOCK .. b * BLOCK + BLOCK - 1 of each layer's arrays (layouts in
 * {@link Int8LayerCache.Blocks} and {@link FloatLayerCache.Blocks}). A sequence's {@link KvCache} owns no memory, only
 * a block table: its position j lives at block table[j / BLOCK], slot j % BLOCK. Which blocks are free is the
 * engine's business ({@code sq.engine.BlockPool}); the command-line paths give each cache a private memory with the
 * table 0, 1, 2, ...
 *
 * <p>Attention reads the table as runs: a stretch of blocks b, b + 1, ... is one stretch of positions in every
 * array, so each run is one kernel call (one call in all for a table in order, as a contiguous cache).
 */
public final class KvMemory {
    /** Positions per block. */
    public static final int BLOCK = 16;

    final LayerCache.Memory[] layers;
    private final int blocks;
    private final boolean int8;
    private final long bytes;

    /** Memory for blocks blocks of every layer: int8 keys and values with scales, or floats. */
    public KvMemory(ModelConfig cfg, int blocks, boolean int8) {
        if (blocks < 1) throw new IllegalArgumentException("a KV memory needs at least one block");
        long elements = (long) blocks * BLOCK * cfg.kvDim();
        if (elements > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("a KV pool of " + blocks + " blocks needs arrays of " + elements + " elements per layer, "
                    + "over Java's limit of 2^31; use a smaller pool");
        this.blocks = blocks;
        this.int8 = int8;
        this.bytes = blocks * BLOCK * bytesPerPosition(cfg, int8);
        layers = new LayerCache.Memory[cfg.layers()];
        for (int l = 0; l < layers.length; l++) layers[l] = LayerCache.Memory.allocate(cfg, blocks, int8);
    }

    /** KV bytes of one position over all layers: int8 keys and values with a float scale per kv head each, or floats. */
    public static long bytesPerPosition(ModelConfig cfg, boolean int8) {
        long perLayer = int8 ? 2L * cfg.kvDim() + 2L * 4 * cfg.kvHeads() : 2L * 4 * cfg.kvDim();
        return perLayer * cfg.layers();
    }

    /** Blocks that hold positions positions. */
    public static int blocksFor(int positions) {
        return (positions + BLOCK - 1) / BLOCK;
    }

    public int blocks() {
        return blocks;
    }

    public boolean int8() {
        return int8;
    }

    /** Bytes of all layers' arrays (array headers aside). */
    public long bytes() {
        return bytes;
    }

    /** The table 0, 1, ..., n - 1: a private memory's blocks in order. */
    static int[] inOrder(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = i;
        return t;
    }

    /** The physical position of logical position j. */
    static int position(int[] table, int j) {
        return table[j / BLOCK] * BLOCK + j % BLOCK;
    }

    /**
     * The end (exclusive, at most to) of the run of logical positions from.. whose physical positions are consecutive:
     * from's block and the blocks after it while each is its predecessor + 1.
     */
    static int runEnd(int[] table, int from, int to) {
        int end = (from / BLOCK + 1) * BLOCK;
        while (end < to && table[end / BLOCK] == table[end / BLOCK - 1] + 1) end += BLOCK;
        return Math.min(end, to);
    }
}
