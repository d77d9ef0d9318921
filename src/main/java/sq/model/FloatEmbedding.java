package sq.model;

/** A float32 embedding table: table [vocab, dim] row-major. */
public record FloatEmbedding(float[] table, int vocab, int dim) implements Embedding {
    public FloatEmbedding {
        if (table.length != (long) vocab * dim)
            throw new IllegalArgumentException("embedding table has " + table.length + " floats, not " + vocab + "x" + dim);
    }

    @Override
    public void lookup(int id, float[] dst, int off) {
        System.arraycopy(table, id * dim, dst, off, dim);
    }

    /** A {@link DenseLinear} over the same array: weight [vocab, dim] is [out, in]. */
    @Override
    public Linear tiedHead(String name) {
        return new DenseLinear(name, table, null, dim, vocab);
    }

    @Override
    public long bytes() {
        return 4L * table.length;
    }
}
