package sq.model;

/**
 * The math of one model's decoder, as its {@link Architecture} reads it from config.json: everything the shared
 * forward pass ({@link Transformer}) branches on, as data.
 *
 * @param layout        where the norms and residual adds sit in a block
 * @param norm          the kind of every norm of the model
 * @param activation    the MLP's activation; gated: down(act(gate x) * up x), else down(act(up x))
 * @param qkvGroups     0: q, k and v are separate linears; n: one fused linear whose output is n groups of
 *                      [q heads | k heads | v heads] of the group (1: [q | k | v] blocks, heads: per head)
 * @param fusedGateUp   gate and up are one linear, [gate | up]
 * @param rotaryDim     leading dims of each head that RoPE rotates (partial rotary: less than head_dim)
 * @param rope          RoPE frequencies (null without RoPE)
 * @param localRope     the sliding-window layers' own RoPE (Gemma 3's local base), or null: rope for all layers
 * @param ropeLayers    per layer, whether RoPE is applied (SmolLM3's NoPE layers); null: every layer
 * @param windows       per layer, the sliding window (a query sees the last w keys, itself included); 0 = full
 * @param attnScale     multiplies q.k (head_dim^-0.5 unless the config says otherwise)
 * @param attnSoftcap   scores -> cap * tanh(scores / cap) before the mask; 0 = none
 * @param finalSoftcap  the same on the logits; 0 = none
 * @param embedScale    multiplies the token embeddings (Gemma: sqrt(hidden), Granite: embedding_multiplier)
 * @param residualScale multiplies each block output before its residual add (Granite)
 * @param logitScale    divides the logits (Granite's logits_scaling)
 * @param embedNorm     a norm right after the embeddings (Bloom's word_embeddings_layernorm)
 * @param embedDim      width of the token embeddings and of the head's input (OPT-350m projects them to hidden)
 * @param finalNorm     a norm before the head (absent in post-LN OPT)
 * @param positionOffset row of position 0 in a learned position table (OPT keeps 2 padding rows)
 * @param moe           the mixture of experts that replaces the MLP (in its sparse layers), or null: dense
 */
public record Block(Layout layout, Architecture.Norm norm, Activation activation, boolean gated, int qkvGroups,
                    boolean fusedGateUp, QkNorm qkNorm, Positions positions, int rotaryDim, RopeScaling rope,
                    RopeScaling localRope, boolean[] ropeLayers, int[] windows, float attnScale, float attnSoftcap,
                    float finalSoftcap, float embedScale, float residualScale, float logitScale, boolean embedNorm,
                    int embedDim, boolean finalNorm, int positionOffset, MoeConfig moe) {

    public enum Layout {
        /** h += attn(n1 h); h += mlp(n2 h) */
        PRE_NORM,
        /** h += p1(attn(n1 h)); h += p2(mlp(n2 h)) (Gemma 2/3) */
        SANDWICH,
        /** h += p1(attn(h)); h += p2(mlp(h)) (OLMo 2) */
        POST_NORM,
        /** h = n1(h + attn(h)); h = n2(h + mlp(h)) (post-LN OPT) */
        POST_LN,
        /** x = n1 h; h += attn(x) + mlp(x) (Falcon-7B, Phi-2) */
        PARALLEL,
        /** h += attn(n1 h) + mlp(n2 h) (Falcon-40B, GPT-NeoX) */
        PARALLEL_TWO_NORMS;

        /** Whether the norm in front of the attention (and of the MLP) exists: what smoothing folds into. */
        public boolean preNorms() {
            return this != POST_NORM && this != POST_LN;
        }
    }

    public enum Activation { SILU, GELU, GELU_TANH, RELU }

    public enum QkNorm {
        NONE,
        /** RMSNorm of width head_dim on every head of q and k (Qwen3, Gemma 3) */
        PER_HEAD,
        /** RMSNorm over the whole q and k projections (OLMo 2) */
        WHOLE
    }

    public enum Positions { ROPE, ALIBI, LEARNED }

    /**
     * A Llama-style block (pre-norm RMSNorm, SwiGLU, full RoPE), as llama2.c checkpoints are; an odd head_dim (kernel
     * tests of the attention alone) gets no RoPE.
     */
    public static Block llama(int hidden, int headDim, double theta, int layers) {
        return new Block(Layout.PRE_NORM, Architecture.Norm.RMS, Activation.SILU, true, 0, false, QkNorm.NONE, Positions.ROPE,
                headDim, headDim % 2 == 0 ? RopeScaling.standard(theta, headDim) : null, null, null, new int[layers], (float) (1 / Math.sqrt(headDim)), 0, 0,
                1, 1, 1, false, hidden, true, 0, null);
    }

    /** The sliding window of layer l, 0 for full attention. */
    public int window(int l) {
        return windows[l];
    }

    /** Whether layer l rotates q and k. */
    public boolean ropeAt(int l) {
        return positions == Positions.ROPE && rope != null && (ropeLayers == null || ropeLayers[l]);
    }

    public boolean fusedQkv() {
        return qkvGroups > 0;
    }

    /** Starts from a Llama block; each architecture changes what its config says. */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        public Layout layout = Layout.PRE_NORM;
        public Architecture.Norm norm = Architecture.Norm.RMS;
        public Activation activation = Activation.SILU;
        public boolean gated = true, fusedGateUp, embedNorm, finalNorm = true;
        public int qkvGroups, rotaryDim, embedDim, positionOffset;
        public QkNorm qkNorm = QkNorm.NONE;
        public Positions positions = Positions.ROPE;
        public RopeScaling rope, localRope;
        public boolean[] ropeLayers;
        public int[] windows;
        public float attnScale = Float.NaN, attnSoftcap, finalSoftcap, embedScale = 1, residualScale = 1, logitScale = 1;
        public MoeConfig moe;

        /** rotaryDim, attnScale and embedDim default to head_dim, head_dim^-0.5 and hidden; windows to full attention. */
        public Block build(int hidden, int headDim, int layers) {
            return new Block(layout, norm, activation, gated, qkvGroups, fusedGateUp, qkNorm, positions,
                    rotaryDim == 0 ? headDim : rotaryDim, positions == Positions.ROPE ? rope : null, localRope, ropeLayers,
                    windows == null ? new int[layers] : windows, Float.isNaN(attnScale) ? (float) (1 / Math.sqrt(headDim)) : attnScale,
                    attnSoftcap, finalSoftcap, embedScale, residualScale, logitScale, embedNorm, embedDim == 0 ? hidden : embedDim,
                    finalNorm, positionOffset, moe);
        }
    }
}
