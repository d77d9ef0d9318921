package sq.quant;

import sq.model.Embedding;
import sq.model.FloatEmbedding;
import sq.model.Linear;

/**
 * An embedding table in int8 with one float scale per row (symmetric absmax, as {@link Quantizer#int8} per channel):
 * a quarter of the float table's bytes. A lookup dequantizes its row (q * scale, the same float product as
 * {@link Quantizer.Int8Weights#dequantize}); a tied lm_head is an {@link Int8Linear} over these same rows and scales
 * (per-output-channel weights, per-token dynamic activations).
 */
public final class Int8Embedding implements Embedding {
    private final Quantizer.Int8Weights rows;

    /** @param rows [vocab, dim] int8, per channel: one scale per row */
    public Int8Embedding(Quantizer.Int8Weights rows) {
        if (rows.granularity() != WeightGranularity.PER_CHANNEL)
            throw new IllegalArgumentException("an int8 embedding has one scale per row, not " + rows.granularity());
        if (rows.mapped() != null) throw new IllegalArgumentException("an int8 embedding holds its rows on the heap");
        this.rows = rows;
    }

    /**
     * Any table to int8, one row at a time (so beyond the result only one float row is held, and a table that is
     * generated or read row by row is never needed in float as a whole twice). Equals
     * {@code Quantizer.int8(table, vocab, dim, PER_CHANNEL, 0)} on the float table.
     */
    public static Int8Embedding quantize(Embedding e) {
        int vocab = e.vocab(), dim = e.dim();
        byte[] q = new byte[Math.multiplyExact(vocab, dim)];
        float[] scales = new float[vocab], row = new float[dim];
        for (int r = 0; r < vocab; r++) {
            e.lookup(r, row, 0);
            float s = Quantizer.scale(Quantizer.absMax(row, 0, dim));
            scales[r] = s;
            for (int c = 0; c < dim; c++) q[r * dim + c] = (byte) Math.rint(row[c] / s);
        }
        return new Int8Embedding(new Quantizer.Int8Weights(q, scales, WeightGranularity.PER_CHANNEL, dim, vocab, dim));
    }

    public Quantizer.Int8Weights rows() {
        return rows;
    }

    @Override
    public int vocab() {
        return rows.out();
    }

    @Override
    public int dim() {
        return rows.in();
    }

    @Override
    public void lookup(int id, float[] dst, int off) {
        int dim = dim(), base = rows.offset() + id * dim;
        byte[] q = rows.data();
        float s = rows.scales()[id];
        for (int c = 0; c < dim; c++) dst[off + c] = q[base + c] * s;
    }

    /** logits = x E^T in real W8A8 over the int8 rows: weights per output channel (= per row), activations per token. */
    @Override
    public Linear tiedHead(String name) {
        return new Int8Linear(name, rows, null, ActivationGranularity.PER_TOKEN, 0, false, 0);
    }

    @Override
    public long bytes() {
        return rows.bytes();
    }

    /** The float table these rows stand for (q * scale): what the simulation of this embedding holds. */
    public FloatEmbedding dequantized() {
        return new FloatEmbedding(rows.dequantize(), vocab(), dim());
    }
}
