package sq.model;

/**
 * The shape of a decoder-only transformer, read from config.json by its {@link Architecture}.
 *
 * @param headDim        per-head width (hidden / heads unless the config says otherwise, as Qwen3 does)
 * @param normEps        RMSNorm / LayerNorm epsilon
 * @param ropeTheta      RoPE base; 0 for models with learned positions (OPT)
 * @param tiedEmbeddings lm_head shares the token embedding matrix
 * @param block          the block's math (norms, attention variant, positions, MLP, multipliers)
 */
public record ModelConfig(
        Architecture architecture,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int vocab,
        int maxPositions,
        float normEps,
        double ropeTheta,
        boolean tiedEmbeddings,
        Integer bosId,
        Integer eosId,
        Block block) {

    /** A Llama-style decoder (llama2.c checkpoints, bench shapes). */
    public ModelConfig(Architecture architecture, int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate,
                       int vocab, int maxPositions, float normEps, double ropeTheta, boolean tiedEmbeddings, Integer bosId, Integer eosId) {
        this(architecture, hidden, layers, heads, kvHeads, headDim, intermediate, vocab, maxPositions, normEps, ropeTheta,
                tiedEmbeddings, bosId, eosId, Block.llama(hidden, headDim, ropeTheta, layers));
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Number of parameters of the decoder (embeddings, layers, norms, head), for memory estimates and reports. */
    public long parameterCount() {
        long attention = (long) hidden * qDim() + 2L * hidden * kvDim() + (long) qDim() * hidden + 2L * hidden;
        long dense = (block.gated() ? 3L : 2L) * hidden * intermediate, n = 0;
        MoeConfig moe = block.moe();
        for (int l = 0; l < layers; l++) {
            n += attention;
            // a sparse layer: every expert's gate/up/down, the router, and a shared expert with its gate
            if (moe != null && moe.sparseAt(l))
                n += moe.experts() * (3L * hidden * moe.intermediate() + hidden)
                        + (moe.sharedIntermediate() > 0 ? 3L * hidden * moe.sharedIntermediate() + hidden : 0);
            else n += dense;
        }
        long embed = (long) vocab * block.embedDim();
        return n + embed + (tiedEmbeddings ? 0 : embed) + hidden;
    }

    /** A linear's module name and its [out, in] shape. */
    public record LinearShape(String name, int in, int out) {
    }

    /** The linears of decoder layer l with their shapes, in execution order. */
    public java.util.List<LinearShape> linearShapes(int l) {
        LayerNames n = architecture.layer(l);
        int h = hidden, I = intermediate;
        java.util.List<LinearShape> s = new java.util.ArrayList<>();
        add(s, n.q(), h, qDim());
        add(s, n.k(), h, kvDim());
        add(s, n.v(), h, kvDim());
        add(s, n.qkv(), h, qDim() + 2 * kvDim());
        add(s, n.o(), qDim(), h);
        add(s, n.gate(), h, I);
        add(s, n.up(), h, I);
        add(s, n.gateUp(), h, 2 * I);
        add(s, n.down(), I, h);
        return s;
    }

    private static void add(java.util.List<LinearShape> s, String name, int in, int out) {
        if (name != null) s.add(new LinearShape(name, in, out));
    }

    /** The width of q_norm (k_norm: of kv = true): head_dim per head, or the whole projection (OLMo 2). */
    public int qkNormWidth(boolean kv) {
        return block.qkNorm() == Block.QkNorm.WHOLE ? (kv ? kvDim() : qDim()) : headDim;
    }
}
