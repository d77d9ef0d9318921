package sq.model;

/**
 * Keys and values of past positions, per layer: [capacity, kvDim] row-major (RoPE already applied to keys).
 */
public final class KvCache {
    final float[][] keys, values;
    private final int capacity, kvDim;
    private int length;

    public KvCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[layers][(int) Math.multiplyExact((long) capacity, kvDim)];
        values = new float[layers][capacity * kvDim];
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Writes T new rows of k and v ([T, kvDim]) at the current end for one layer. */
    void store(int layer, float[] k, float[] v, int tokens) {
        System.arraycopy(k, 0, keys[layer], length * kvDim, tokens * kvDim);
        System.arraycopy(v, 0, values[layer], length * kvDim, tokens * kvDim);
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Forgets everything (a new window or prompt) without reallocating. */
    public void clear() {
        length = 0;
    }
}
