package sq.engine;

import sq.model.KvMemory;
import sq.model.ModelConfig;

import java.util.BitSet;

/**
 * The engine's KV memory (vLLM's block manager): a {@link KvMemory} of a fixed number of blocks of {@link #BLOCK}
 * positions, allocated once when the engine is built, and the free list of its physical blocks. A sequence takes
 * the blocks of its whole reservation (prompt + max new tokens) at admission, as its block table, and gives them back
 * the moment it ends, is cancelled or its client goes away; its {@link sq.model.KvCache} reads and writes the memory
 * through that table. So the memory of all sequences never exceeds the pool, and a running sequence never waits for
 * memory (no preemption): taking blocks as a sequence grows would leave a running sequence without its next block
 * when the pool runs out, i.e. preemption. Blocks go out lowest id first, so a table is mostly runs of consecutive
 * blocks, each of which attention reads with one kernel call.
 * Thread-safe: the engine allocates and frees, anyone may read the counts.
 */
public final class BlockPool {
    /** Positions per block. */
    public static final int BLOCK = KvMemory.BLOCK;

    private final KvMemory memory;
    private final BitSet free;

    public BlockPool(KvMemory memory) {
        this.memory = memory;
        free = new BitSet(memory.blocks());
        free.set(0, memory.blocks());
    }

    /** Blocks that hold positions positions. */
    public static int blocksFor(int positions) {
        return KvMemory.blocksFor(positions);
    }

    /** Heap bytes not in use now (the maximum heap minus what is allocated): room for a pool, after a collection. */
    public static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * The default pool size in blocks: room for maxBatch full contexts, but at most half of {@link #freeHeap()} (call
     * it after the model is built and collected), at least one block. The memory is allocated at once, so a default
     * of full contexts for a model of 128K positions would not start; the other half is left to the steps' working
     * arrays and the requests.
     */
    public static int defaultBlocks(ModelConfig cfg, boolean int8, int maxBatch, int context) {
        long blockBytes = BLOCK * KvMemory.bytesPerPosition(cfg, int8);
        long want = (long) maxBatch * blocksFor(context), room = freeHeap() / 2 / blockBytes;
        return (int) Math.max(1, Math.min(Math.min(want, room), Integer.MAX_VALUE));
    }

    /** Takes n free blocks, lowest ids first: the block table of a sequence; null if fewer are free. */
    public synchronized int[] allocate(int n) {
        if (n < 0) throw new IllegalArgumentException("negative block count");
        if (free.cardinality() < n) return null;
        int[] table = new int[n];
        for (int i = 0, b = -1; i < n; i++) table[i] = b = free.nextSetBit(b + 1);
        for (int b : table) free.clear(b);
        return table;
    }

    /** Gives a table's blocks back to the free list. */
    public synchronized void free(int[] table) {
        for (int b : table)
            if (b < 0 || b >= memory.blocks() || free.get(b)) throw new IllegalStateException("block " + b + " is not in use");
        for (int b : table) free.set(b);
    }

    /** Blocks held by sequences: the pool's total minus its free list. */
    public synchronized int used() {
        return memory.blocks() - free.cardinality();
    }

    /** Whether physical block b is on the free list. */
    public synchronized boolean isFree(int b) {
        return free.get(b);
    }

    public int total() {
        return memory.blocks();
    }

    public long bytesPerBlock() {
        return memory.bytes() / memory.blocks();
    }

    public KvMemory memory() {
        return memory;
    }
}
