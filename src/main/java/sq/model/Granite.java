package sq.model;

import java.util.List;

/**
 * Granite 3: Llama layout with four multipliers: embeddings x embedding_multiplier, each block's output x
 * residual_multiplier before its residual add, attention_multiplier as the score scale, logits / logits_scaling.
 */
public final class Granite extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("GraniteForCausalLM");
    }

    @Override
    void variant(ConfigReader r, Block.Builder b, int hidden, int headDim, int layers, int maxPositions) {
        b.embedScale = (float) r.number("embedding_multiplier", 1.0);
        b.residualScale = (float) r.number("residual_multiplier", 1.0);
        b.attnScale = (float) r.number("attention_multiplier", 1.0);
        b.logitScale = (float) r.number("logits_scaling", 1.0);
    }
}
