package sq.quant;

import org.junit.jupiter.api.Test;
import sq.model.DenseLinear;
import sq.model.FloatEmbedding;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Int8 embedding rows: lookups against a scalar reference, the same grid as Quantizer.int8, a tied head over them. */
class Int8EmbeddingTest {
    static final int VOCAB = 37, DIM = 24;

    /** Rows of different magnitudes, one all zero, one with an outlier. */
    static float[] table() {
        Random rnd = new Random(5);
        float[] t = new float[VOCAB * DIM];
        for (int r = 0; r < VOCAB; r++)
            for (int c = 0; c < DIM; c++) t[r * DIM + c] = r == 3 ? 0f : (float) rnd.nextGaussian() * (r + 1) * 0.01f;
        t[7 * DIM + 5] = 4f;
        return t;
    }

    @Test
    void lookupMatchesAScalarReference() {
        float[] t = table();
        Int8Embedding e = Int8Embedding.quantize(new FloatEmbedding(t, VOCAB, DIM));
        assertThat(e.vocab()).isEqualTo(VOCAB);
        assertThat(e.dim()).isEqualTo(DIM);
        float[] dst = new float[DIM + 3];
        for (int r = 0; r < VOCAB; r++) {
            // reference: symmetric absmax per row, scale = max(max|row|, 1e-5) / 127, round half to even
            double max = 0;
            for (int c = 0; c < DIM; c++) max = Math.max(max, Math.abs(t[r * DIM + c]));
            float s = Math.max((float) max, 1e-5f) / 127f;
            e.lookup(r, dst, 3);
            for (int c = 0; c < DIM; c++) {
                float x = t[r * DIM + c];
                int q = (int) Math.rint(x / s);
                assertThat(q).isBetween(-127, 127);
                assertThat(dst[3 + c]).as("row %d col %d", r, c).isEqualTo(q * s);
                assertThat((double) dst[3 + c]).isCloseTo(x, within(0.5 * s + 1e-7));
            }
        }
        assertThat(dst[0]).isZero(); // nothing written before off
    }

    @Test
    void sameGridAsPerChannelWeightsAndTheSimulation() {
        float[] t = table();
        Int8Embedding e = Int8Embedding.quantize(new FloatEmbedding(t, VOCAB, DIM));
        Quantizer.Int8Weights w = Quantizer.int8(t, VOCAB, DIM, WeightGranularity.PER_CHANNEL, 0);
        assertThat(e.rows().q()).containsExactly(w.q());
        assertThat(e.rows().scales()).containsExactly(w.scales());
        float[] row = new float[DIM], sim = e.dequantized().table();
        for (int r = 0; r < VOCAB; r++) {
            e.lookup(r, row, 0);
            for (int c = 0; c < DIM; c++) assertThat(row[c]).isEqualTo(sim[r * DIM + c]);
        }
        assertThat(e.bytes()).isEqualTo((long) VOCAB * DIM + 4L * VOCAB);
        // requantizing an int8 table (through its lookups) gives the same int8 values
        assertThat(Int8Embedding.quantize(e).rows().q()).containsExactly(e.rows().q());
    }

    @Test
    void tiedHeadIsRealW8A8OverTheSameRows() {
        float[] t = table();
        Int8Embedding e = Int8Embedding.quantize(new FloatEmbedding(t, VOCAB, DIM));
        Linear head = e.tiedHead("lm_head");
        assertThat(head).isInstanceOf(Int8Linear.class);
        assertThat(((Int8Linear) head).weights()).isSameAs(e.rows());
        assertThat(head.in()).isEqualTo(DIM);
        assertThat(head.out()).isEqualTo(VOCAB);
        assertThat(head.weightBytes()).isEqualTo(e.bytes());
        // = the simulation: per-token fake-quantized x times the dequantized rows, up to float rounding
        int T = 3;
        float[] x = new float[T * DIM];
        Random rnd = new Random(9);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[T * VOCAB], ySim = new float[T * VOCAB], xq = x.clone();
        head.forward(x, T, y);
        Quantizer.activations(xq, T, DIM, ActivationGranularity.PER_TOKEN, 0);
        new DenseLinear("lm_head", e.dequantized().table(), null, DIM, VOCAB).forward(xq, T, ySim);
        for (int i = 0; i < y.length; i++) assertThat(y[i]).isCloseTo(ySim[i], within(1e-4f));
    }

    /** tiny/opt (tied, learned positions): the engine's embeddings are the dequantized rows plus the positions. */
    @Test
    void transformerEmbedsThroughTheLookup() {
        Model fp32 = ModelLoader.load(Fixtures.bundled("tiny/opt"));
        Model int8 = HeadPrecision.INT8.real(fp32);
        assertThat(int8.embed()).isInstanceOf(Int8Embedding.class);
        assertThat(((Int8Linear) int8.lmHead()).weights()).isSameAs(((Int8Embedding) int8.embed()).rows());
        int H = fp32.config().hidden(), start = 5;
        int[] tokens = {0, 17, fp32.config().vocab() - 1};
        float[] h = new Transformer(int8).embed(tokens, start), row = new float[H];
        int offset = fp32.config().block().positionOffset();
        for (int t = 0; t < tokens.length; t++) {
            int8.embed().lookup(tokens[t], row, 0);
            for (int c = 0; c < H; c++)
                assertThat(h[t * H + c]).isEqualTo(row[c] + fp32.positions()[(start + t + offset) * H + c]);
        }
    }
}
