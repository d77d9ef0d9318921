package sq.engine;

/**
 * KV memory as a fixed number of blocks of {@link #BLOCK} positions (vLLM's block manager): a sequence holds the
 * blocks of its whole reservation (prompt + max new tokens) from admission until it ends or is cancelled, so the
 * memory of all live caches never exceeds the pool and a running sequence never waits for memory (no preemption).
 * The blocks are counted, not laid out: each admitted sequence gets its own contiguous {@link sq.model.KvCache} of
 * reservation-many positions, which attention reads directly (no block table), and which becomes garbage when the
 * sequence ends.
 * Thread-safe: the engine allocates and frees, anyone may read the counts.
 */
public final class BlockPool {
    /** Positions per block. */
    public static final int BLOCK = 16;

    private final int total;
    private final long bytesPerBlock;
    private int used;

    public BlockPool(int total, long bytesPerBlock) {
        if (total < 1) throw new IllegalArgumentException("a pool needs at least one block");
        this.total = total;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** Blocks that hold positions positions. */
    public static int blocksFor(int positions) {
        return (positions + BLOCK - 1) / BLOCK;
    }

    /** Takes n blocks if that many are free. */
    public synchronized boolean tryAllocate(int n) {
        if (n < 0) throw new IllegalArgumentException("negative block count");
        if (used + n > total) return false;
        used += n;
        return true;
    }

    public synchronized void free(int n) {
        if (n < 0 || n > used) throw new IllegalStateException("freeing " + n + " blocks of " + used + " in use");
        used -= n;
    }

    public synchronized int used() {
        return used;
    }

    public int total() {
        return total;
    }

    public long bytesPerBlock() {
        return bytesPerBlock;
    }
}
