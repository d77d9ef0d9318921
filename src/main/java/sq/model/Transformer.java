package sq.model;

import sq.io.InputException;
import sq.kernels.VectorOps;

/**
 * The shared forward pass of every decoder-only architecture we support (pre-norm blocks):
 * <pre>
 *   h = embed(tokens) [+ positions]
 *   per layer:  h += o(attention(rope(q(n1(h))), rope(k(n1(h))), v(n1(h))))     n1 = attnNorm
 *               h += mlp(n2(h))                                                 n2 = mlpNorm
 *   logits = lmHead(finalNorm(h))
 * </pre>
 * All prompt tokens go through each layer at once (batched prefill); decode is the same code with T = 1.
 */
public final class Transformer {
    private final Model model;
    private final ModelConfig cfg;
    private final Architecture arch;
    private final Rope rope;
    private final boolean int8Attention;
    private LinearObserver observer;

    public Transformer(Model model) {
        this(model, false);
    }

    /** @param int8Attention run Q.K^T and P.V on int8 operands with an int8 KV cache (the int8 engine's BMMs) */
    public Transformer(Model model, boolean int8Attention) {
        this.int8Attention = int8Attention;
        this.model = model;
        this.cfg = model.config();
        this.arch = cfg.architecture();
        this.rope = arch.usesRope() ? new Rope(cfg.headDim(), cfg.ropeTheta(), cfg.maxPositions()) : null;
    }

    public Model model() {
        return model;
    }

    public ModelConfig config() {
        return cfg;
    }

    /** Installs (or with null removes) a hook that sees every decoder-layer linear's input and output. */
    public void setObserver(LinearObserver observer) {
        this.observer = observer;
    }

    /** A cache for up to capacity positions (at most the model's max_position_embeddings). */
    public KvCache newCache(int capacity) {
        if (capacity > cfg.maxPositions())
            throw new InputException("context of " + capacity + " tokens exceeds the model's maximum of " + cfg.maxPositions());
        return new KvCache(cfg, capacity, int8Attention);
    }

    /**
     * Runs tokens at positions cache.length() .. + T - 1 and appends them to the cache.
     *
     * @return logits [T, vocab] when allLogits, else [vocab] for the last token only
     */
    public float[] forward(int[] tokens, KvCache cache, boolean allLogits) {
        int T = tokens.length, H = cfg.hidden(), start = cache.length();
        if (T == 0) throw new IllegalArgumentException("no tokens");
        if (start + T > cache.capacity())
            throw new InputException("sequence of " + (start + T) + " tokens exceeds the context of " + cache.capacity());
        float[] h = embed(tokens, start);
        for (int l = 0; l < cfg.layers(); l++) runLayer(model.layers().get(l), h, T, cache.layers[l], start);
        cache.advance(T);
        float[] x = new float[T * H];
        Norms.apply(arch.norm(), model.finalNorm(), h, x, T, H, cfg.normEps());
        Linear head = model.lmHead();
        if (allLogits) {
            float[] logits = new float[T * cfg.vocab()];
            head.forward(x, T, logits);
            return logits;
        }
        float[] last = new float[H];
        System.arraycopy(x, (T - 1) * H, last, 0, H);
        float[] logits = new float[cfg.vocab()];
        head.forward(last, 1, logits);
        return logits;
    }

    /**
     * One decoder layer on the hidden states h [T, hidden] (updated in place) of T tokens at positions start..,
     * appending their keys and values to this layer's cache.
     * Public so calibration can run a model one layer at a time.
     */
    public void runLayer(Layer layer, float[] h, int T, LayerCache cache, int start) {
        int H = cfg.hidden();
        float[] x = new float[T * H], tmp = new float[T * H];
        float[] q = new float[T * cfg.qDim()], k = new float[T * cfg.kvDim()], v = new float[T * cfg.kvDim()];
        float[] att = new float[T * cfg.qDim()];
        float[] a = new float[T * cfg.intermediate()], b = arch.mlp() == Architecture.Mlp.SWIGLU ? new float[T * cfg.intermediate()] : null;
        // attention block
        Norms.apply(arch.norm(), layer.attnNorm, h, x, T, H, cfg.normEps());
        run(layer.q, x, q, T);
        run(layer.k, x, k, T);
        run(layer.v, x, v, T);
        if (layer.qNorm != null) {
            Norms.rms(q, q, T * cfg.heads(), cfg.headDim(), 0, layer.qNorm.weight(), cfg.normEps());
            Norms.rms(k, k, T * cfg.kvHeads(), cfg.headDim(), 0, layer.kNorm.weight(), cfg.normEps());
        }
        if (rope != null) {
            rope.apply(q, T, cfg.heads(), start);
            rope.apply(k, T, cfg.kvHeads(), start);
        }
        cache.store(k, v, T, start);
        cache.attend(q, att, T, start);
        run(layer.o, att, tmp, T);
        VectorOps.axpy(1f, tmp, 0, h, 0, T * H);
        // MLP block
        Norms.apply(arch.norm(), layer.mlpNorm, h, x, T, H, cfg.normEps());
        if (b != null) {
            run(layer.gate, x, a, T);
            run(layer.up, x, b, T);
            for (int i = 0; i < a.length; i++) a[i] = silu(a[i]) * b[i];
        } else {
            run(layer.up, x, a, T);
            for (int i = 0; i < a.length; i++) a[i] = Math.max(a[i], 0f);
        }
        run(layer.down, a, tmp, T);
        VectorOps.axpy(1f, tmp, 0, h, 0, T * H);
    }

    /** Token embeddings [T, hidden] (plus learned positions where the architecture has them). */
    public float[] embed(int[] tokens, int start) {
        int H = cfg.hidden();
        float[] h = new float[tokens.length * H];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= cfg.vocab())
                throw new InputException("token id " + id + " is outside the vocabulary of " + cfg.vocab());
            System.arraycopy(model.embed(), id * H, h, t * H, H);
            if (model.positions() != null)
                VectorOps.axpy(1f, model.positions(), (start + t + arch.positionOffset()) * H, h, t * H, H);
        }
        return h;
    }

    private void run(Linear linear, float[] x, float[] y, int tokens) {
        linear.forward(x, tokens, y);
        if (observer != null) observer.observe(linear, x, y, tokens);
    }

    private static float silu(float g) {
        return (float) (g / (1.0 + Math.exp(-g)));
    }
}
