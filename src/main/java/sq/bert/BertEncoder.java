package sq.bert;

import sq.io.InputException;
import sq.kernels.Parallel;
import sq.model.Linear;
import sq.model.LinearObserver;
import sq.quant.ActivationGranularity;

/**
 * The forward pass of a post-LN BERT encoder on one sequence (no padding, so no mask):
 * <pre>
 *   x = LN_emb(word[ids] + position[0..T) + type[0])
 *   per layer:  a = LN_attn(x + o(attention(q(x), k(x), v(x))))      bidirectional, softmax(q k^T * scale) v
 *               x = LN_out(a + fc2(gelu(fc1(a))))
 *   embedding = normalize(pool(x))
 * </pre>
 * The linears are whatever the model holds (fp32, fake-quantized, int8). The smoothing multipliers of a
 * {@link BertLayer} scale only the copy going into its linears. Not thread-safe (the observer); one encoder per
 * thread, the kernels themselves use the {@link Parallel} pool.
 */
public final class BertEncoder {
    private final BertModel model;
    private final BertConfig cfg;
    private final Pooling pooling;
    private LinearObserver observer;

    public BertEncoder(BertModel model, Pooling pooling) {
        this.model = model;
        this.cfg = model.config();
        this.pooling = pooling;
    }

    public BertModel model() {
        return model;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** Installs (or with null removes) a hook that sees every encoder linear's input and output. */
    public void setObserver(LinearObserver observer) {
        this.observer = observer;
    }

    /** The L2-normalized sentence embedding [hidden] of token ids ([CLS] ... [SEP]). */
    public float[] embed(int[] ids) {
        return pooling.pool(hidden(ids), ids.length, cfg.hidden());
    }

    /** The last hidden states [T, hidden]. */
    public float[] hidden(int[] ids) {
        int T = ids.length, H = cfg.hidden(), I = cfg.intermediate();
        if (T == 0) throw new IllegalArgumentException("no tokens");
        if (T > cfg.maxPositions())
            throw new InputException("sequence of " + T + " tokens exceeds the model's " + cfg.maxPositions() + " positions");
        float[] x = new float[T * H];
        for (int t = 0; t < T; t++) {
            int id = ids[t];
            if (id < 0 || id >= cfg.vocab()) throw new InputException("token id " + id + " is outside the vocabulary of " + cfg.vocab());
            for (int j = 0; j < H; j++)
                x[t * H + j] = model.wordEmbeddings()[id * H + j] + model.typeEmbeddings()[j] + model.positionEmbeddings()[t * H + j];
        }
        BertMath.layerNorm(x, x, T, H, model.embeddingsNorm().weight(), model.embeddingsNorm().bias(), cfg.eps());
        float[] in = new float[T * Math.max(H, I)], q = new float[T * H], k = new float[T * H], v = new float[T * H];
        float[] ctx = new float[T * H], tmp = new float[T * H], a = new float[T * H], u = new float[T * I];
        for (BertLayer layer : model.layers()) {
            float[] xin = scaled(x, in, T, H, layer.qkvSmooth);
            run(layer.q, xin, q, T);
            run(layer.k, xin, k, T);
            run(layer.v, xin, v, T);
            if (layer.bmmQuant != null) { // the attention BMM inputs, when the linears leave them to us
                boolean perToken = layer.bmmQuant == ActivationGranularity.PER_TOKEN;
                boolean isStatic = layer.bmmQuant == ActivationGranularity.PER_TENSOR_STATIC;
                BertMath.fakeQuant(q, T, H, perToken, isStatic ? layer.bmmStaticMax[0] : Float.NaN);
                BertMath.fakeQuant(k, T, H, perToken, isStatic ? layer.bmmStaticMax[1] : Float.NaN);
                BertMath.fakeQuant(v, T, H, perToken, isStatic ? layer.bmmStaticMax[2] : Float.NaN);
            }
            BertAttention.run(q, k, v, ctx, T, cfg.heads(), cfg.headDim(), cfg.attentionScale());
            run(layer.o, scaled(ctx, in, T, H, layer.oSmooth), tmp, T);
            BertMath.add(x, tmp, T * H);
            BertMath.layerNorm(tmp, a, T, H, layer.attnNorm.weight(), layer.attnNorm.bias(), cfg.eps());
            run(layer.fc1, scaled(a, in, T, H, layer.fc1Smooth), u, T);
            Parallel.forRange(T, (long) T * I * 16, (t0, t1) -> BertMath.activation(cfg.activation(), u, t0 * I, t1 * I));
            run(layer.fc2, scaled(u, in, T, I, layer.fc2Smooth), tmp, T);
            BertMath.add(a, tmp, T * H);
            BertMath.layerNorm(tmp, x, T, H, layer.outNorm.weight(), layer.outNorm.bias(), cfg.eps());
        }
        return x;
    }

    /** x itself, or x * m per channel written into buf. */
    private static float[] scaled(float[] x, float[] buf, int T, int width, float[] m) {
        if (m == null) return x;
        BertMath.scaleChannels(x, buf, T, width, m);
        return buf;
    }

    private void run(Linear linear, float[] x, float[] y, int tokens) {
        linear.forward(x, tokens, y);
        if (observer != null) observer.observe(linear, x, y, tokens);
    }
}
