package sq.model;

import java.util.List;

/**
 * A loaded decoder-only model: config plus parameters (fp32 as loaded; quantizers build new models with int8 parts).
 *
 * @param embed      token embeddings [vocab, embedDim]
 * @param positions  learned positions [maxPositions + offset, hidden], or null
 * @param finalNorm  the norm before the head, or null (post-LN OPT)
 * @param lmHead     output projection [vocab, embedDim] (over the embedding's own rows when tied: {@link Embedding#tiedHead})
 * @param embedNorm  the norm after the embeddings (Bloom), or null
 * @param projectIn  embedDim -> hidden after the embeddings (OPT-350m), or null; projectOut the way back before the head
 */
public record Model(ModelConfig config, Embedding embed, float[] positions, List<Layer> layers, NormWeights finalNorm,
                    Linear lmHead, NormWeights embedNorm, Linear projectIn, Linear projectOut) {

    /** A model without embedding norm or projections. */
    public Model(ModelConfig config, Embedding embed, float[] positions, List<Layer> layers, NormWeights finalNorm, Linear lmHead) {
        this(config, embed, positions, layers, finalNorm, lmHead, null, null, null);
    }

    public Architecture architecture() {
        return config.architecture();
    }

    /** The same model with other decoder layers. */
    public Model withLayers(List<Layer> layers) {
        return new Model(config, embed, positions, layers, finalNorm, lmHead, embedNorm, projectIn, projectOut);
    }

    /** The same model with other embeddings and head (e.g. their int8 forms). */
    public Model withEnds(Embedding embed, Linear lmHead) {
        return new Model(config, embed, positions, layers, finalNorm, lmHead, embedNorm, projectIn, projectOut);
    }
}
