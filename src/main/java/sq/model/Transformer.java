package sq.model;

import sq.io.InputException;
import sq.kernels.Activations;
import sq.kernels.VectorOps;

/**
 * The shared forward pass of every decoder-only architecture we support; what differs is data ({@link Block}):
 * <pre>
 *   h = embedNorm(projectIn(embed(tokens)) * embedScale [+ positions])
 *   per layer, e.g. pre-norm:  h += r * o(attention(rope(q(n1 h)), rope(k(n1 h)), v(n1 h)))     n1 = attnNorm
 *                              h += r * mlp(n2 h)                                                n2 = mlpNorm
 *     (sandwich, post-norm, post-LN and parallel blocks: {@link Block.Layout})
 *   logits = softcap(lmHead(projectOut(finalNorm(h))) / logitScale)
 * </pre>
 * All prompt tokens go through each layer at once (batched prefill); decode is the same code with T = 1.
 * One forward pass at a time: the working arrays are reused from call to call (use one Transformer per thread).
 */
public final class Transformer {
    private final Model model;
    private final ModelConfig cfg;
    private final Block block;
    private final Rope rope, localRope;
    private final Attention[] attention; // per layer
    private final boolean int8Engine;
    private final MoeForward moe; // null for dense models
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
        this.block = cfg.block();
        this.rope = block.rope() == null ? null : new Rope(block.rope(), cfg.headDim(), block.rotaryDim());
        this.localRope = block.localRope() == null ? null : new Rope(block.localRope(), cfg.headDim(), block.rotaryDim());
        float[] slopes = block.positions() == Block.Positions.ALIBI ? Attention.alibiSlopes(cfg.heads()) : null;
        attention = new Attention[cfg.layers()];
        for (int l = 0; l < attention.length; l++)
            attention[l] = new Attention(block.attnScale(), block.attnSoftcap(), block.window(l), slopes);
        moe = block.moe() == null ? null : new MoeForward(block.moe(), cfg.hidden(), new MoeForward.Ops() {
            public void run(Linear l, float[] x, float[] y, int tokens) {
                Transformer.this.run(l, x, y, tokens);
            }

            public void runShared(float[] x, int tokens, Linear[] linears, float[][] ys) {
                Transformer.this.runShared(x, tokens, linears, ys);
            }

            public void gatedActivation(float[] a, float[] b, int n) {
                activate(a, b, n);
            }
        });
    }

    public Model model() {
        return model;
    }

    public ModelConfig config() {
        return cfg;
    }

    /** Whether this runs the int8 engine (int8 KV caches: see the constructor). */
    public boolean int8Engine() {
        return int8Engine;
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
        final float[] h, x, tmp, tmp2;  // [T, hidden]: hidden states, normed input, block outputs (tmp2: parallel MLP)
        final float[] q, att;           // [T, qDim]: queries, attention output
        final float[] k, v;             // [T, kvDim]
        final float[] qkv;              // [T, qDim + 2 kvDim]: a fused projection's output, or null
        final float[] a, b;             // [T, intermediate]: MLP gate (or up) and up; b null without a gated MLP
        final float[] gu;               // [T, 2 intermediate]: a fused gate_up's output, or null
        final float[] e;                // [T, embedDim]: the projected ends (OPT-350m), or null
        final float[] last;             // [embedDim]: the last token's head input

        Scratch(int T) {
            this.T = T;
            int H = cfg.hidden(), D = block.embedDim(), I = cfg.intermediate();
            h = new float[T * H];
            x = new float[T * H];
            tmp = new float[T * H];
            tmp2 = parallel() ? new float[T * H] : null;
            q = new float[T * cfg.qDim()];
            att = new float[T * cfg.qDim()];
            k = new float[T * cfg.kvDim()];
            v = new float[T * cfg.kvDim()];
            qkv = block.fusedQkv() ? new float[T * (cfg.qDim() + 2 * cfg.kvDim())] : null;
            a = new float[T * I];
            b = block.gated() ? new float[T * I] : null;
            gu = block.fusedGateUp() ? new float[2 * T * I] : null;
            e = D != H ? new float[T * D] : null;
            last = new float[D];
        }
    }

    private boolean parallel() {
        return block.layout() == Block.Layout.PARALLEL || block.layout() == Block.Layout.PARALLEL_TWO_NORMS;
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
        int T = tokens.length, H = cfg.hidden(), D = block.embedDim(), start = cache.length();
        if (T == 0) throw new IllegalArgumentException("no tokens");
        if (start + T > cache.capacity())
            throw new InputException("sequence of " + (start + T) + " tokens exceeds the context of " + cache.capacity());
        Scratch s = scratch(T);
        embed(tokens, start, s.h, s);
        for (int l = 0; l < cfg.layers(); l++) runLayer(l, model.layers().get(l), s.h, T, cache.layers[l], start, s);
        cache.advance(T);
        if (model.finalNorm() != null) norm(model.finalNorm(), s.h, s.x, T, H);
        else System.arraycopy(s.h, 0, s.x, 0, T * H);
        float[] in = s.x;
        if (model.projectOut() != null) {
            model.projectOut().forward(s.x, T, s.e);
            in = s.e;
        }
        Linear head = model.lmHead();
        float[] logits;
        if (allLogits) {
            logits = new float[T * cfg.vocab()];
            head.forward(in, T, logits);
        } else {
            System.arraycopy(in, (T - 1) * D, s.last, 0, D);
            logits = new float[cfg.vocab()];
            head.forward(s.last, 1, logits);
        }
        finishLogits(logits);
        return logits;
    }

    /** Granite's logit scaling and Gemma 2's final soft-cap. */
    private void finishLogits(float[] logits) {
        float div = block.logitScale(), cap = block.finalSoftcap();
        if (div != 1) for (int i = 0; i < logits.length; i++) logits[i] /= div;
        if (cap != 0) for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.tanh(logits[i] / cap) * cap;
    }

    /**
     * Decoder layer l on the hidden states h [T, hidden] (updated in place) of T tokens at positions start..,
     * appending their keys and values to this layer's cache.
     * Public so calibration can run a model one layer at a time.
     */
    public void runLayer(int l, Layer layer, float[] h, int T, LayerCache cache, int start) {
        runLayer(l, layer, h, T, cache, start, scratch(T));
    }

    private void runLayer(int l, Layer layer, float[] h, int T, LayerCache cache, int start, Scratch s) {
        int H = cfg.hidden();
        Block.Layout layout = block.layout();
        float[] x = s.x, tmp = s.tmp;
        float[] in = layout.preNorms() ? norm(layer.attnNorm, h, x, T, H) : h;
        attention(l, layer, in, T, cache, start, s, tmp);
        if (parallel()) {
            float[] mlpIn = layout == Block.Layout.PARALLEL ? x : norm(layer.mlpNorm, h, x, T, H);
            mlp(layer, mlpIn, T, s, s.tmp2);
            VectorOps.add(s.tmp2, 0, tmp, 0, T * H); // attn + mlp, then the residual
            residual(tmp, h, T * H);
            return;
        }
        if (layer.postAttnNorm != null) norm(layer.postAttnNorm, tmp, tmp, T, H);
        residual(tmp, h, T * H);
        if (layout == Block.Layout.POST_LN) norm(layer.attnNorm, h, h, T, H);
        mlp(layer, layout.preNorms() ? norm(layer.mlpNorm, h, x, T, H) : h, T, s, tmp);
        if (layer.postMlpNorm != null) norm(layer.postMlpNorm, tmp, tmp, T, H);
        residual(tmp, h, T * H);
        if (layout == Block.Layout.POST_LN) norm(layer.mlpNorm, h, h, T, H);
    }

    /** The attention block on its input x [T, hidden] into out [T, hidden]. */
    private void attention(int l, Layer layer, float[] x, int T, LayerCache cache, int start, Scratch s, float[] out) {
        float[] q = s.q, k = s.k, v = s.v;
        if (layer.qkv != null) {
            run(layer.qkv, x, s.qkv, T);
            FusedQkv.split(s.qkv, T, cfg, block.qkvGroups(), q, k, v);
        } else {
            runShared(x, T, new Linear[]{layer.q, layer.k, layer.v}, new float[][]{q, k, v});
        }
        switch (block.qkNorm()) {
            case PER_HEAD -> {
                norm(layer.qNorm, q, q, T * cfg.heads(), cfg.headDim());
                norm(layer.kNorm, k, k, T * cfg.kvHeads(), cfg.headDim());
            }
            case WHOLE -> {
                norm(layer.qNorm, q, q, T, cfg.qDim());
                norm(layer.kNorm, k, k, T, cfg.kvDim());
            }
            case NONE -> { }
        }
        Attention a = attention[l].withSinks(layer.sinks);
        if (batch == null) attendSequence(l, a, q, k, v, s.att, T, cache, start);
        else batch.attend(l, a, q, k, v, s.att);
        run(layer.o, s.att, out, T);
    }

    /** RoPE, then the cache's store and attention, for the T rows of one sequence at positions start... */
    private void attendSequence(int l, Attention a, float[] q, float[] k, float[] v, float[] att, int T, LayerCache cache, int start) {
        if (block.ropeAt(l)) {
            Rope r = localRope != null && block.window(l) > 0 ? localRope : rope;
            r.apply(q, T, cfg.heads(), start);
            r.apply(k, T, cfg.kvHeads(), start);
        }
        cache.store(k, v, T, start);
        cache.attend(q, att, T, start, a);
    }

    /** The sequences of a {@link #forwardBatch} step: rows [rows[i], rows[i+1]) belong to caches[i], from starts[i] on. */
    private record Batch(Transformer tf, int[] rows, KvCache[] caches, int[] starts) {
        /** Attention per sequence over its own cache, on copies of its rows. */
        void attend(int l, Attention a, float[] q, float[] k, float[] v, float[] att) {
            int qd = tf.cfg.qDim(), kd = tf.cfg.kvDim();
            for (int i = 0; i < caches.length; i++) {
                int r0 = rows[i], n = rows[i + 1] - r0;
                float[] qi = java.util.Arrays.copyOfRange(q, r0 * qd, (r0 + n) * qd);
                float[] ki = java.util.Arrays.copyOfRange(k, r0 * kd, (r0 + n) * kd);
                float[] vi = java.util.Arrays.copyOfRange(v, r0 * kd, (r0 + n) * kd);
                float[] ai = new float[n * qd];
                tf.attendSequence(l, a, qi, ki, vi, ai, n, caches[i].layers[l], starts[i]);
                System.arraycopy(ai, 0, att, r0 * qd, n * qd);
            }
        }
    }

    private Batch batch; // during a forwardBatch step

    /**
     * One step over several sequences, each with its own cache (continuous batching): tokens[i] run at positions
     * caches[i].length().. and are appended to caches[i]. Every linear runs once over all the step's rows; attention
     * runs per sequence. Each row's arithmetic is that of {@link #forward} (norms, RoPE and per-token quantization
     * are per row, integer sums exact), so a sequence's logits do not depend on its batch mates, as long as no
     * activation scale is taken over the whole step (per-tensor dynamic schemes are refused by the caller).
     *
     * @param wantLogits which sequences need the logits of their last token
     * @return [vocab] per sequence where wanted, else null
     */
    public float[][] forwardBatch(int[][] tokens, KvCache[] caches, boolean[] wantLogits) {
        int n = tokens.length, H = cfg.hidden(), D = block.embedDim(), V = cfg.vocab();
        int[] rows = new int[n + 1], starts = new int[n];
        for (int i = 0; i < n; i++) {
            if (tokens[i].length == 0) throw new IllegalArgumentException("no tokens for sequence " + i);
            starts[i] = caches[i].length();
            if (starts[i] + tokens[i].length > caches[i].capacity())
                throw new InputException("sequence of " + (starts[i] + tokens[i].length) + " tokens exceeds the context of " + caches[i].capacity());
            rows[i + 1] = rows[i] + tokens[i].length;
        }
        int T = rows[n];
        Scratch s = scratch(T);
        for (int i = 0; i < n; i++) System.arraycopy(embed(tokens[i], starts[i]), 0, s.h, rows[i] * H, tokens[i].length * H);
        batch = new Batch(this, rows, caches, starts);
        try {
            for (int l = 0; l < cfg.layers(); l++) runLayer(l, model.layers().get(l), s.h, T, null, 0, s);
        } finally {
            batch = null;
        }
        for (int i = 0; i < n; i++) caches[i].advance(tokens[i].length);
        if (model.finalNorm() != null) norm(model.finalNorm(), s.h, s.x, T, H);
        else System.arraycopy(s.h, 0, s.x, 0, T * H);
        float[] in = s.x;
        if (model.projectOut() != null) {
            model.projectOut().forward(s.x, T, s.e);
            in = s.e;
        }
        int m = 0;
        for (boolean w : wantLogits) if (w) m++;
        float[][] out = new float[n][];
        if (m == 0) return out;
        float[] last = new float[m * D], logits = new float[m * V];
        for (int i = 0, j = 0; i < n; i++) if (wantLogits[i]) System.arraycopy(in, (rows[i + 1] - 1) * D, last, j++ * D, D);
        model.lmHead().forward(last, m, logits);
        finishLogits(logits);
        for (int i = 0, j = 0; i < n; i++) if (wantLogits[i]) out[i] = java.util.Arrays.copyOfRange(logits, j * V, ++j * V);
        return out;
    }

    /** The MLP (or the mixture of experts) on x [T, hidden] into out [T, hidden]. */
    private void mlp(Layer layer, float[] x, int T, Scratch s, float[] out) {
        if (layer.moe != null) {
            moe.forward(layer.moe, x, T, out);
            return;
        }
        int I = cfg.intermediate(), n = T * I;
        float[] a = s.a, b = s.b;
        if (layer.gateUp != null) {
            run(layer.gateUp, x, s.gu, T);
            for (int t = 0; t < T; t++) { // [gate | up] per token
                System.arraycopy(s.gu, 2 * t * I, a, t * I, I);
                System.arraycopy(s.gu, (2 * t + 1) * I, b, t * I, I);
            }
        } else if (b != null) {
            runShared(x, T, new Linear[]{layer.gate, layer.up}, new float[][]{a, b});
        } else {
            run(layer.up, x, a, T);
        }
        activate(a, b, n);
        run(layer.down, a, out, T);
    }

    /** a = act(a) * b (gated; b null: a = act(a)) over n values, the block's activation. */
    private void activate(float[] a, float[] b, int n) {
        switch (block.activation()) {
            case SILU -> {
                if (b == null) Activations.silu(a, n);
                else if (int8Engine) Activations.siluTimesFast(a, b, n);
                else Activations.siluTimes(a, b, n);
            }
            case GELU -> {
                if (b == null) Activations.gelu(a, n);
                else Activations.geluTimes(a, b, n);
            }
            case GELU_TANH -> {
                if (b == null) Activations.geluTanh(a, n);
                else Activations.geluTanhTimes(a, b, n);
            }
            case RELU -> {
                if (b != null) throw new IllegalStateException("gated ReLU is not declared by any architecture");
                Activations.relu(a, n);
            }
        }
    }

    /** h += residualScale * out. */
    private void residual(float[] out, float[] h, int n) {
        float r = block.residualScale();
        if (r != 1) VectorOps.scale(r, out, 0, n);
        VectorOps.add(out, 0, h, 0, n);
    }

    /** rows of x through the norm n (the model's kind) into y; returns y. */
    private float[] norm(NormWeights n, float[] x, float[] y, int rows, int dim) {
        Norms.apply(block.norm(), n, x, y, rows, dim, cfg.normEps());
        return y;
    }

    /** Token embeddings [T, hidden] (projected, scaled, plus learned positions, normed, as the model has them), in a new array. */
    public float[] embed(int[] tokens, int start) {
        float[] h = new float[tokens.length * cfg.hidden()];
        embed(tokens, start, h, block.embedDim() != cfg.hidden() ? new Scratch(tokens.length) : null);
        return h;
    }

    /** The same into h [T, hidden]; s provides the projection's input where there is one. */
    private void embed(int[] tokens, int start, float[] h, Scratch s) {
        int H = cfg.hidden(), D = block.embedDim(), T = tokens.length;
        Embedding table = model.embed();
        float[] rows = model.projectIn() != null ? s.e : h;
        for (int t = 0; t < T; t++) {
            int id = tokens[t];
            if (id < 0 || id >= cfg.vocab())
                throw new InputException("token id " + id + " is outside the vocabulary of " + cfg.vocab());
            table.lookup(id, rows, t * D);
        }
        if (model.projectIn() != null) model.projectIn().forward(rows, T, h);
        if (block.embedScale() != 1) VectorOps.scale(block.embedScale(), h, 0, T * H);
        if (model.positions() != null)
            for (int t = 0; t < T; t++) VectorOps.add(model.positions(), (start + t + block.positionOffset()) * H, h, t * H, H);
        if (model.embedNorm() != null) norm(model.embedNorm(), h, h, T, H);
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
