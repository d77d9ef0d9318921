package sq.model;

/**
 * The mixture-of-experts MLP on T tokens, grouped by expert: route every token, then run each expert once on the rows
 * routed to it (its weights are read once per step, in decode and prefill alike) and add their weighted outputs;
 * plus the shared expert on all rows. Working arrays are kept while T stays the same (one per Transformer).
 * <pre>
 *   logits = router(x)                                [T, E]
 *   (e_tk, w_tk) = top-k routing of logits            [T, k]       ({@link MoeRouter})
 *   out_t = sum_k w_tk down_e(act(gate_e x_t, up_e x_t))   for e = e_tk, summed in expert order
 *         + sigmoid(sharedGate x_t) shared(x_t)       (Qwen2-MoE)
 * </pre>
 */
final class MoeForward {
    /** What the Transformer lends: its linears' runner (with the observer) and the block's gated activation. */
    interface Ops {
        void run(Linear l, float[] x, float[] y, int tokens);

        void runShared(float[] x, int tokens, Linear[] linears, float[][] ys);

        /** a = act(a) * b over n values (the block's activation). */
        void gatedActivation(float[] a, float[] b, int n);
    }

    private final MoeConfig c;
    private final int H;
    private final Ops ops;
    private int T = -1;
    private float[] logits, w, xe, a, b, ye, sa, sb, sg;
    private int[] idx, count, start, rows;
    private float[] rowWeight;

    MoeForward(MoeConfig c, int hidden, Ops ops) {
        this.c = c;
        this.H = hidden;
        this.ops = ops;
    }

    private void size(int T) {
        if (this.T == T) return;
        this.T = T;
        int E = c.experts(), K = c.topK(), I = c.intermediate();
        logits = new float[T * E];
        idx = new int[T * K];
        w = new float[T * K];
        count = new int[E];
        start = new int[E + 1];
        rows = new int[T * K];
        rowWeight = new float[T * K];
        xe = new float[T * H];
        a = new float[T * I];
        b = new float[T * I];
        ye = new float[T * H];
        if (c.sharedIntermediate() > 0) {
            sa = new float[T * c.sharedIntermediate()];
            sb = new float[T * c.sharedIntermediate()];
            sg = new float[T];
        }
    }

    /** x [T, hidden] -> out [T, hidden]. */
    void forward(Moe m, float[] x, int T, float[] out) {
        size(T);
        int E = c.experts(), K = c.topK(), I = c.intermediate();
        ops.run(m.router, x, logits, T);
        MoeRouter.route(c, logits, T, idx, w);
        // group: the (token, weight) rows of each expert, tokens in order
        java.util.Arrays.fill(count, 0);
        for (int i = 0; i < T * K; i++) count[idx[i]]++;
        start[0] = 0;
        for (int e = 0; e < E; e++) start[e + 1] = start[e] + count[e];
        java.util.Arrays.fill(count, 0);
        for (int i = 0; i < T * K; i++) {
            int e = idx[i], at = start[e] + count[e]++;
            rows[at] = i / K;
            rowWeight[at] = w[i];
        }
        java.util.Arrays.fill(out, 0, T * H, 0f);
        for (int e = 0; e < E; e++) {
            int n = count[e], s0 = start[e];
            if (n == 0) continue;
            float[] scale = m.inputScale == null ? null : m.inputScale[e];
            for (int r = 0; r < n; r++) {
                int src = rows[s0 + r] * H, dst = r * H;
                if (scale == null) System.arraycopy(x, src, xe, dst, H);
                else for (int j = 0; j < H; j++) xe[dst + j] = x[src + j] * scale[j];
            }
            ops.runShared(xe, n, new Linear[]{m.gate[e], m.up[e]}, new float[][]{a, b});
            activation(a, b, n * I);
            ops.run(m.down[e], a, ye, n);
            for (int r = 0; r < n; r++) {
                int dst = rows[s0 + r] * H, src = r * H;
                float wt = rowWeight[s0 + r];
                for (int j = 0; j < H; j++) out[dst + j] += ye[src + j] * wt;
            }
        }
        if (m.sharedGateProj != null) shared(m, x, T, out);
    }

    /** out += sigmoid(sharedGate x) * down(act(gate x) * up x) (no gate: weight 1). */
    private void shared(Moe m, float[] x, int T, float[] out) {
        float[] in = x;
        if (m.sharedInputScale != null) {
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++) xe[t * H + j] = x[t * H + j] * m.sharedInputScale[j];
            in = xe;
        }
        ops.runShared(in, T, new Linear[]{m.sharedGateProj, m.sharedUp}, new float[][]{sa, sb});
        ops.gatedActivation(sa, sb, T * c.sharedIntermediate());
        ops.run(m.sharedDown, sa, ye, T);
        if (m.sharedGate != null) ops.run(m.sharedGate, x, sg, T);
        for (int t = 0; t < T; t++) {
            float g = m.sharedGate == null ? 1f : (float) (1 / (1 + Math.exp(-sg[t])));
            for (int j = 0; j < H; j++) out[t * H + j] += g * ye[t * H + j];
        }
    }

    private void activation(float[] a, float[] b, int n) {
        if (c.activation() == MoeConfig.ExpertActivation.GATED) {
            ops.gatedActivation(a, b, n);
            return;
        }
        float alpha = c.alpha(), limit = c.limit();
        for (int i = 0; i < n; i++) {
            float g = Math.min(a[i], limit), u = Math.min(Math.max(b[i], -limit), limit);
            float glu = g * (float) (1 / (1 + Math.exp(-(double) (g * alpha))));
            a[i] = (u + 1) * glu;
        }
    }
}
