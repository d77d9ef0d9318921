package sq.model;

/**
 * Keys and values of past positions, per layer: [capacity, kvDim] row-major (RoPE already applied to keys).
 */
public final class KvCache {
    final float[][] keys, values;
    private final int capacity;
    private int length;

    public KvCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        keys = new float[layers][(int) Math.multiplyExact((long) capacity, kvDim)];
        values = new float[layers][capacity * kvDim];
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Forgets everything (a new window or prompt) without reallocating. */
    public void clear() {
        length = 0;
    }
}
