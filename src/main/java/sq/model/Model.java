package sq.model;

import java.util.List;

/**
 * A loaded decoder-only model: config plus fp32 parameters.
 *
 * @param embed     token embeddings [vocab, hidden]
 * @param positions learned positions [maxPositions + offset, hidden], or null for RoPE models
 * @param lmHead    output projection [vocab, hidden] (the same array as embed when tied)
 */
public record Model(ModelConfig config, float[] embed, float[] positions, List<Layer> layers, NormWeights finalNorm,
                    Linear lmHead) {

    public Architecture architecture() {
        return config.architecture();
    }
}
