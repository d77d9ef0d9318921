package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.util.List;

/**
 * Llama-layout decoders whose MLP is a mixture of experts (Mixtral, Qwen2-MoE, Qwen3-MoE, gpt-oss): attention as
 * their dense kin, the MLP slot of each sparse layer replaced by a router and experts ({@link MoeConfig},
 * {@link MoeNames}). Each family declares its keys and names.
 */
abstract class MoeFamily extends LlamaFamily {
    private static final int MAX_EXPERTS = 1 << 14;
    MoeConfig moe;

    /** The mixture's names in layer i (p = "model.layers.i."). */
    abstract MoeNames names(String p);

    /** Reads the family's MoE keys into a config; sparse: per layer, whether its MLP is the mixture. */
    abstract MoeConfig moeConfig(ConfigReader r, int experts, int topK, boolean[] sparse);

    @Override
    void variant(ConfigReader r, Block.Builder b, int hidden, int headDim, int layers, int maxPositions) {
        String key = r.has("num_local_experts") ? "num_local_experts" : "num_experts";
        int experts = r.integer(key), topK = r.integer("num_experts_per_tok");
        if (experts > MAX_EXPERTS) throw InputException.of(r.file(), "'" + key + "' " + experts + " is larger than " + MAX_EXPERTS + "; not a real model config?");
        if (topK > experts)
            throw InputException.of(r.file(), "'num_experts_per_tok' " + topK + " is larger than the " + experts + " experts ('" + key + "')");
        moe = moeConfig(r, experts, topK, sparseLayers(r, layers));
        if (moe.intermediate() <= 0) throw InputException.of(r.file(), "the experts' intermediate size must be positive");
        b.moe = moe;
    }

    /** Qwen's decoder_sparse_step and mlp_only_layers (absent: every layer is sparse). */
    static boolean[] sparseLayers(ConfigReader r, int layers) {
        int step = r.integer("decoder_sparse_step", 1);
        boolean[] sparse = new boolean[layers];
        for (int l = 0; l < layers; l++) sparse[l] = (l + 1) % step == 0;
        JsonNode only = r.node("mlp_only_layers");
        if (only != null) {
            if (!only.isArray()) throw InputException.of(r.file(), "'mlp_only_layers' must be a list of layer indices, got " + only);
            for (JsonNode n : only) {
                if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() >= layers)
                    throw InputException.of(r.file(), "'mlp_only_layers' entry " + n + " is not a layer index (0.." + (layers - 1) + ")");
                sparse[n.asInt()] = false;
            }
        }
        return sparse;
    }

    @Override
    public MoeNames moe(int layer) {
        return moe != null && moe.sparseAt(layer) ? names("model.layers." + layer + ".") : null;
    }

    /** Sparse layers have no gate/up/down of their own: the mixture's names replace them. */
    @Override
    public LayerNames layer(int i) {
        LayerNames n = super.layer(i);
        if (moe == null || !moe.sparseAt(i)) return n;
        return new LayerNames(n.attnNorm(), n.postAttnNorm(), n.mlpNorm(), n.postMlpNorm(), n.qNorm(), n.kNorm(), n.q(), n.k(), n.v(),
                n.qkv(), n.o(), null, null, null, null);
    }

    /**
     * In sparse layers only the attention's group (as both anchors agree); the MLP side is the MoE smoothing policy's
     * (sq.quant.MoeSmoothing).
     */
    @Override
    public List<SmoothingGroup> smoothingGroups(int layer) {
        if (moe == null || !moe.sparseAt(layer)) return super.smoothingGroups(layer);
        LayerNames n = layer(layer);
        return List.of(new SmoothingGroup(n.attnNorm(), n.q(), n.k(), n.v()));
    }
}
