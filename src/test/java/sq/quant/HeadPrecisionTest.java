package sq.quant;

import org.junit.jupiter.api.Test;
import sq.eval.Bench;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.model.DenseLinear;
import sq.model.FloatEmbedding;
import sq.model.Layer;
import sq.model.LayerSource;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The int8 engine's embeddings and lm_head: error bounds, real vs simulated, streaming, bytes. */
class HeadPrecisionTest {

    /**
     * An int8 head differs from the float one by at most what the two roundings allow, per logit:
     * |y8 - y| <= (s_x / 2) sum_i |w8_i| + (s_w / 2) sum_i |x_i| (x8 = x + e_x, w8 = w + e_w, |e| <= s / 2).
     */
    @Test
    void int8HeadChangesLogitsByABoundedAmount() {
        int in = 96, out = 300, T = 4;
        Random rnd = new Random(3);
        float[] w = new float[out * in], x = new float[T * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.05f;
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * (i % in == 7 ? 20 : 1); // an outlier channel
        DenseLinear dense = new DenseLinear("lm_head", w, null, in, out);
        Linear int8 = HeadPrecision.INT8.untiedHead(dense);
        assertThat(int8).isInstanceOf(Int8Linear.class);
        Quantizer.Int8Weights q = ((Int8Linear) int8).weights();
        assertThat(q.granularity()).isEqualTo(WeightGranularity.PER_CHANNEL);
        float[] y = new float[T * out], y8 = new float[T * out];
        dense.forward(x, T, y);
        int8.forward(x, T, y8);
        double worstShare = 0;
        for (int t = 0; t < T; t++) {
            double xMax = 0, xSum = 0;
            for (int i = 0; i < in; i++) {
                xMax = Math.max(xMax, Math.abs(x[t * in + i]));
                xSum += Math.abs(x[t * in + i]);
            }
            double sx = Quantizer.scale((float) xMax);
            for (int o = 0; o < out; o++) {
                double w8Sum = 0;
                for (int i = 0; i < in; i++) w8Sum += Math.abs(q.q()[o * in + i] * q.scales()[o]);
                double bound = sx / 2 * w8Sum + q.scales()[o] / 2 * xSum;
                double diff = Math.abs(y8[t * out + o] - y[t * out + o]);
                assertThat(diff).as("logit [%d, %d]", t, o).isLessThanOrEqualTo(bound * (1 + 1e-5) + 1e-6);
                worstShare = Math.max(worstShare, diff / bound);
            }
        }
        assertThat(worstShare).as("errors are well inside the bound").isLessThan(0.5);
    }

    /** stories260K (tied): int8 embeddings and head cost little perplexity (measured on 8 windows of TinyStories). */
    @Test
    void int8EndsCostLittlePerplexity() throws Exception {
        java.nio.file.Path dir = Fixtures.bundled("stories260K");
        Model fp32 = ModelLoader.load(dir);
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        Windows eval = GoldenTables.windows(tok, Fixtures.bundled("text/tinystories-val.txt"), 0, 8);
        double base = Perplexity.evaluate(new Transformer(fp32), eval, i -> { }).ppl();
        double ends = Perplexity.evaluate(new Transformer(HeadPrecision.INT8.real(fp32)), eval, i -> { }).ppl();
        double simulated = Perplexity.evaluate(new Transformer(HeadPrecision.INT8.simulated(fp32)), eval, i -> { }).ppl();
        System.out.printf("stories260K ppl: fp32 %.4f, int8 embeddings and head %.4f (%+.3f%%), simulated %.4f%n",
                base, ends, 100 * (ends / base - 1), simulated);
        assertThat(Math.abs(ends / base - 1)).isLessThan(5e-3);
        assertThat(Math.abs(ends / simulated - 1)).isLessThan(1e-4);
    }

    @Test
    void fp32KeepsTheModelAsItIs() {
        Model m = ModelLoader.load(Fixtures.bundled("tiny/llama"));
        assertThat(HeadPrecision.FP32.real(m)).isSameAs(m);
        assertThat(HeadPrecision.FP32.simulated(m)).isSameAs(m);
        assertThat(HeadPrecision.parse("FP32")).isEqualTo(HeadPrecision.FP32);
        assertThat(HeadPrecision.parse("int8")).isEqualTo(HeadPrecision.INT8);
    }

    /** The simulation of the ends holds floats only: dequantized rows and a fake-quantized head. */
    @Test
    void simulatedEndsAreFloat() {
        for (String arch : new String[]{"llama", "opt"}) {
            Model m = HeadPrecision.INT8.simulated(ModelLoader.load(Fixtures.bundled("tiny/" + arch)));
            assertThat(m.embed()).isInstanceOf(FloatEmbedding.class);
            assertThat(m.lmHead()).isInstanceOf(FakeQuantLinear.class);
        }
    }

    /**
     * Built layer by layer (streamNaive) = quantized in memory: the same logits, untied (tiny/llama) and tied
     * (tiny/opt); the head and embeddings are int8, and decode reads int8 bytes for the head.
     */
    @Test
    void streamingEqualsInMemory() {
        Scheme w8a8 = Scheme.parse("w8a8");
        for (String arch : new String[]{"llama", "opt"}) {
            Model fp32 = ModelLoader.load(Fixtures.bundled("tiny/" + arch));
            Model streamed = Int8Models.streamNaive(LayerSource.of(fp32), w8a8, HeadPrecision.INT8);
            Model inMemory = Int8Quantizer.quantize(fp32, w8a8, null, HeadPrecision.INT8);
            assertThat(streamed.embed()).isInstanceOf(Int8Embedding.class);
            assertThat(streamed.lmHead()).isInstanceOf(Int8Linear.class);
            int[] ids = {1, 5, 9, 2, 7, 3};
            Transformer a = new Transformer(streamed, true), b = new Transformer(inMemory, true);
            assertThat(a.forward(ids, a.newCache(ids.length), true)).as(arch).containsExactly(b.forward(ids, b.newCache(ids.length), true));

            int V = fp32.config().vocab(), H = fp32.config().hidden();
            long layers = 0;
            for (Layer l : streamed.layers())
                for (Linear x : new Linear[]{l.q, l.k, l.v, l.o, l.gate, l.up, l.down})
                    if (x != null) layers += x.weightBytes();
            assertThat(Bench.weightBytes(streamed)).as(arch).isEqualTo(layers + (long) V * H + 4L * V);
            assertThat(Bench.weightBytes(Int8Models.streamNaive(LayerSource.of(fp32), w8a8, HeadPrecision.FP32)))
                    .isEqualTo(layers + 4L * V * H);
        }
    }
}
