package sq.model;

import java.util.List;

/**
 * A loaded decoder-only model: config plus parameters (fp32 as loaded; quantizers build new models with int8 parts).
 *
 * @param embed     token embeddings [vocab, hidden]
 * @param positions learned positions [maxPositions + offset, hidden], or null for RoPE models
 * @param lmHead    output projection [vocab, hidden] (over the embedding's own rows when tied: {@link Embedding#tiedHead})
 */
public record Model(ModelConfig config, Embedding embed, float[] positions, List<Layer> layers, NormWeights finalNorm,
                    Linear lmHead) {

    public Architecture architecture() {
        return config.architecture();
    }
}
