package sq.model;

/** Keys and values of past positions for every layer (float or int8, see {@link LayerCache}). */
public final class KvCache {
    final LayerCache[] layers;
    private final int capacity;
    private int length;

    public KvCache(ModelConfig cfg, int capacity, boolean int8) {
        this.capacity = capacity;
        layers = new LayerCache[cfg.layers()];
        for (int l = 0; l < layers.length; l++) layers[l] = LayerCache.create(cfg, capacity, int8);
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
