package sq.model;

/**
 * A token embedding table [vocab, dim], read one row at a time. Float ({@link FloatEmbedding}, as loaded) or int8
 * with one scale per row ({@code sq.quant.Int8Embedding}, the int8 engine's), where a lookup dequantizes the row.
 */
public interface Embedding {
    int vocab();

    int dim();

    /** dst[off, off + dim) = row id as floats; id in [0, vocab) (callers check it). */
    void lookup(int id, float[] dst, int off);

    /**
     * The output projection of a model with tied embeddings: logits [T, vocab] = x [T, dim] E^T over these very
     * rows (no copy), in the table's precision.
     */
    Linear tiedHead(String name);

    /** Bytes the table holds in memory. */
    long bytes();
}
