package sq.model;

import sq.io.InputException;

import java.util.ArrayList;
import java.util.List;

/**
 * What differs between decoder-only architectures, declared as data: module names, the block's math
 * ({@link Block}, read from config.json by {@link #parse}) and SmoothQuant's smoothing groups. The forward pass
 * ({@link Transformer}) is shared. {@link Architectures} makes a fresh instance per config, so a family whose names
 * depend on its config (Falcon-7B's one norm, Falcon-40B's two) keeps them in fields set by parse.
 */
public abstract class Architecture {
    public enum Norm {
        RMS,
        /** RMSNorm with gains (1 + w): Gemma's zero-centred weights */
        RMS_UNIT_OFFSET,
        LAYER
    }

    /** Where the norms sit; set by parse (smoothing groups and names follow from it). */
    protected Block.Layout layout = Block.Layout.PRE_NORM;

    /** The "architectures" entries of config.json this class reads, e.g. "LlamaForCausalLM". */
    public abstract List<String> hfClasses();

    /** Reads config.json (every key that may change the math is read or refused); may set this instance's fields. */
    public abstract ModelConfig parse(ConfigReader config);

    public abstract LayerNames layer(int i);

    public abstract String embedTokens();

    /** Learned absolute position table, or null. */
    public String embedPositions() {
        return null;
    }

    /** The norm right after the embeddings (Bloom), or null. */
    public String embedNorm() {
        return null;
    }

    /** The embedDim -> hidden projection after the embeddings and its way back before the head (OPT-350m), or null. */
    public String projectIn() {
        return null;
    }

    public String projectOut() {
        return null;
    }

    /** The norm before the head, or null. */
    public abstract String finalNorm();

    public String lmHead() {
        return "lm_head";
    }

    /** GPT-2's Conv1D modules store their weights [in, out], the transpose of nn.Linear's. */
    public boolean transposedWeights() {
        return false;
    }

    /**
     * SmoothQuant's groups (a norm and the linears it feeds), derived from the layout: the attention's input linears
     * after the attention norm and the MLP's after the MLP norm; in a parallel block with one norm, all of them after
     * it. Blocks without norms in front of their linears (post-norm, post-LN) have none: nothing can take the factor.
     */
    public List<SmoothingGroup> smoothingGroups(int layer) {
        LayerNames n = layer(layer);
        if (!layout.preNorms()) return List.of();
        List<String> attn = n.qkv() != null ? List.of(n.qkv()) : List.of(n.q(), n.k(), n.v());
        List<String> mlp = n.gateUp() != null ? List.of(n.gateUp()) : n.gate() != null ? List.of(n.gate(), n.up()) : List.of(n.up());
        if (layout == Block.Layout.PARALLEL) {
            List<String> all = new ArrayList<>(attn);
            all.addAll(mlp);
            return List.of(new SmoothingGroup(n.attnNorm(), all));
        }
        return List.of(new SmoothingGroup(n.attnNorm(), attn), new SmoothingGroup(n.mlpNorm(), mlp));
    }

    /**
     * The groups of {@link #smoothingGroups(int)} and, for {@link SmoothingGroup.Groups#EXTENDED}, after them the exact
     * linear -> linear ones of llm-compressor and AWQ where the layer has the linears apart: v_proj -> o_proj (one
     * factor per row of V, shared by the o_proj columns of the query heads that read it) and, in a gated MLP,
     * up_proj -> down_proj. A fused q/k/v or gate/up leaves the group out, as does a sparse (MoE) MLP.
     */
    public List<SmoothingGroup> smoothingGroups(int layer, ModelConfig config, SmoothingGroup.Groups groups) {
        List<SmoothingGroup> g = new ArrayList<>(smoothingGroups(layer));
        if (groups == SmoothingGroup.Groups.REFERENCE) return g;
        LayerNames n = layer(layer);
        if (n.v() != null && n.o() != null)
            g.add(SmoothingGroup.afterLinear(n.v(), n.o(), config.headDim(), config.heads() / config.kvHeads()));
        if (n.gate() != null && n.up() != null && n.down() != null && moe(layer) == null)
            g.add(SmoothingGroup.afterLinear(n.up(), n.down(), 0, 1));
        return g;
    }

    /** Why smoothing has nothing to fold into, or null where it has groups. */
    public String smoothingNote() {
        return layout.preNorms() ? null : "no norm in front of the linears (" + layout.name().toLowerCase().replace('_', '-')
                + " blocks): nothing to fold the smoothing factor into";
    }

    /** Layer i's mixture-of-experts names, or null where the layer's MLP is dense. */
    public MoeNames moe(int layer) {
        return null;
    }

    /** Layer i's attention sinks tensor [heads] (gpt-oss), or null. */
    public String sinks(int layer) {
        return null;
    }

    /** The linears of one layer, in execution order. */
    public List<String> linears(int i) {
        return layer(i).linears();
    }

    public String name() {
        return hfClasses().getFirst();
    }

    // --- shared by the families' parse ---

    /** The config, with the checks every family shares (and every unread math-bearing key refused). */
    ModelConfig config(ConfigReader r, int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                       int maxPositions, float eps, boolean tied, Block.Builder b) {
        if (heads % kvHeads != 0)
            throw InputException.of(r.file(), "num_attention_heads " + heads + " is not a multiple of the key/value heads " + kvHeads);
        Block block = b.build(hidden, headDim, layers);
        if (block.positions() == Block.Positions.ROPE && (block.rotaryDim() % 2 != 0 || block.rotaryDim() > headDim || block.rotaryDim() <= 0))
            throw InputException.of(r.file(), "rotary dims " + block.rotaryDim() + " must be even and at most head_dim " + headDim);
        if (block.fusedQkv() && (heads % block.qkvGroups() != 0 || kvHeads % block.qkvGroups() != 0))
            throw InputException.of(r.file(), "fused q/k/v groups " + block.qkvGroups() + " do not divide " + heads + " heads and " + kvHeads + " kv heads");
        for (int l = 0; l < layers; l++)
            if (block.windows()[l] < 0) throw InputException.of(r.file(), "sliding window of layer " + l + " is negative");
        r.refuseUnread(name());
        return new ModelConfig(this, hidden, layers, heads, kvHeads, headDim, intermediate, vocab, maxPositions, eps,
                block.rope() == null ? 0 : block.rope().theta(), tied, r.firstInt("bos_token_id"), r.firstInt("eos_token_id"), block);
    }

    /** The layer count, bounded before anything is sized by it (a hostile config must not allocate per-layer arrays). */
    static int layers(ConfigReader r, String key) {
        int n = r.integer(key);
        if (n > Architectures.MAX_LAYERS) throw InputException.of(r.file(), "'" + key + "' " + n + " is larger than "
                + Architectures.MAX_LAYERS + "; not a real model config?");
        return n;
    }

    /** hidden / heads, which must divide. */
    static int headDim(ConfigReader r, int hidden, int heads) {
        if (hidden % heads != 0)
            throw InputException.of(r.file(), "hidden size " + hidden + " is not a multiple of the " + heads + " attention heads (and no head_dim)");
        return hidden / heads;
    }

    /** An activation name as transformers spells it (ACT2FN). */
    static Block.Activation activation(ConfigReader r, String key, String dflt) {
        String a = r.text(key, dflt);
        return switch (a) {
            case "silu", "swish" -> Block.Activation.SILU;
            case "gelu" -> Block.Activation.GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "bloom_gelu" -> Block.Activation.GELU_TANH;
            case "relu" -> Block.Activation.RELU;
            default -> throw InputException.of(r.file(), "'" + key + "' = '" + a + "' is not supported (silu, gelu, gelu_new, gelu_pytorch_tanh, relu)");
        };
    }

    /** Marks keys that the Hugging Face class itself ignores (e.g. written by a generic config helper) as read. */
    static void ignoredByTransformers(ConfigReader r, String... keys) {
        for (String k : keys) r.node(k);
    }
}
