package sq.model;

import sq.io.InputException;
import sq.kernels.Activations;
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
 * One forward pass at a time: the working arrays are reused from call to call (use one Transformer per thread).
 */
public final class Transformer {
    private final Model model;
    private final ModelConfig cfg;
    private final Architecture arch;
    private final Rope rope;
    private final boolean int8Engine;
    private LinearObserver observer;

    public Transformer(Model model) {
        this(model, false);
    }

    /**
     * @param int8Engine    the int8 engine's attention and activations: Q.K^T and P.V on int8 operands with an int8 KV
     *                      cache, and vectorized exponentials for softmax and SiLU (~1 ulp, as torch's); without it,
     *                      exponentials are taken in double, the reference path of goldens and evaluation tables
     */
    public Transformer(Model model, boolean int8Engine) {
        this.int8Engine = int8Engine;
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
        return new KvCache(cfg, capacity, int8Engine);
    }

    /**
     * Working arrays of one forward pass of T tokens, kept while T stays the same (steady-state decode, T = 1,
     * allocates none of them; a new T, e.g. prefill after decode, replaces them, so a long prompt's arrays do not
     * outlive it).
     */
    private final class Scratch {
        final int T;
        final float[] h, x, tmp;        // [T, hidden]: hidden states, normed input, block output
        final float[] q, att;           // [T, qDim]: queries, attention output
        final float[] k, v;             // [T, kvDim]
        final float[] a, b;             // [T, intermediate]: MLP gate (or up) and up; b null without SwiGLU
        final float[] last;             // [hidden]: the last token's normed state, for the head

        Scratch(int T) {
            this.T = T;
            int H = cfg.hidden();
            h = new float[T * H];
            x = new float[T * H];
            tmp = new float[T * H];
            q = new float[T * cfg.qDim()];
            att = new float[T * cfg.qDim()];
            k = new float[T * cfg.kvDim()];
            v = new float[T * cfg.kvDim()];
            a = new float[T * cfg.intermediate()];
            b = arch.mlp() == Architecture.Mlp.SWIGLU ? new float[T * cfg.intermediate()] : null;
            last = new float[H];
        }
    }

    private Scratch scratch;

    private Scratch scratch(int T) {
        if (scratch == null || scratch.T != T) scratch = new Scratch(T);
        return scratch;
    }

    /**
     * Runs tokens at positions cache.length() .. + T - 1 and appends them to the cache.
     *
     * @return logits [T, vocab] when allLogits, else [vocab] for the last token only (a new array the caller keeps)
     */
    public float[] forward(int[] tokens, KvCache cache, boolean allLogits) {
        int T = tokens.length, H = cfg.hidden(), start = cache.length();
        if (T == 0) throw new IllegalArgumentException("no tokens");
        if (start + T > cache.capacity())
            throw new InputException("sequence of " + (start + T) + " tokens exceeds the context of " + cache.capacity());
        Scratch s = scratch(T);
        embed(tokens, start, s.h);
        for (int l = 0; l < cfg.layers(); l++) runLayer(model.layers().get(l), s.h, T, cache.layers[l], start, s);
        cache.advance(T);
        Norms.apply(arch.norm(), model.finalNorm(), s.h, s.x, T, H, cfg.normEps());
        Linear head = model.lmHead();
        if (allLogits) {
            float[] logits = new float[T * cfg.vocab()];
            head.forward(s.x, T, logits);
            return logits;
        }
        System.arraycopy(s.x, (T - 1) * H, s.last, 0, H);
        float[] logits = new float[cfg.vocab()];
        head.forward(s.last, 1, logits);
        return logits;
    }

    /**
     * One decoder layer on the hidden states h [T, hidden] (updated in place) of T tokens at positions start..,
     * appending their keys and values to this layer's cache.
     * Public so calibration can run a model one layer at a time.
     */
    public void runLayer(Layer layer, float[] h, int T, LayerCache cache, int start) {
        runLayer(layer, h, T, cache, start, scratch(T));
    }

    private void runLayer(Layer layer, float[] h, int T, LayerCache cache, int start, Scratch s) {
        int H = cfg.hidden(), n = T * cfg.intermediate();
        float[] x = s.x, tmp = s.tmp, q = s.q, k = s.k, v = s.v, att = s.att, a = s.a, b = s.b;
        // attention block
        Norms.apply(arch.norm(), layer.attnNorm, h, x, T, H, cfg.normEps());
        runShared(x, T, new Linear[]{layer.q, layer.k, layer.v}, new float[][]{q, k, v});
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
            runShared(x, T, new Linear[]{layer.gate, layer.up}, new float[][]{a, b});
            if (int8Engine) Activations.siluTimesFast(a, b, n);
            else Activations.siluTimes(a, b, n);
        } else {
            run(layer.up, x, a, T);
            Activations.relu(a, n);
        }
        run(layer.down, a, tmp, T);
        VectorOps.axpy(1f, tmp, 0, h, 0, T * H);
    }

    /** Token embeddings [T, hidden] (plus learned positions where the architecture has them), in a new array. */
    public float[] embed(int[] tokens, int start) {
        float[] h = new float[tokens.length * cfg.hidden()];
        embed(tokens, start, h);
        return h;
    }

    /** The same into h [T, hidden]. */
    private void embed(int[] tokens, int start, float[] h) {
        int H = cfg.hidden();
        Embedding table = model.embed();
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= cfg.vocab())
                throw new InputException("token id " + id + " is outside the vocabulary of " + cfg.vocab());
            table.lookup(id, h, t * H);
            if (model.positions() != null)
                VectorOps.axpy(1f, model.positions(), (start + t + arch.positionOffset()) * H, h, t * H, H);
        }
    }

    /** Linears reading the same input x; each runs on its own where an observer watches them. */
    private void runShared(float[] x, int tokens, Linear[] linears, float[][] ys) {
        if (observer == null) linears[0].forwardShared(linears, x, tokens, ys);
        else for (int i = 0; i < linears.length; i++) run(linears[i], x, ys[i], tokens);
    }

    private void run(Linear linear, float[] x, float[] y, int tokens) {
        linear.forward(x, tokens, y);
        if (observer != null) observer.observe(linear, x, y, tokens);
    }
}
