package sq.model;

/**
 * Where a model's parameters come from, one piece at a time, so work that goes layer by layer (calibration of
 * large models) never holds more than one decoder layer in float: a checkpoint on disk, generated weights, or a
 * model already in memory.
 */
public interface LayerSource {
    ModelConfig config();

    /** Token embeddings [vocab, hidden]. */
    Embedding embed();

    /** Learned positions [maxPositions + offset, hidden], or null. */
    float[] positions();

    /** Decoder layer i, materialized now. */
    Layer layer(int i);

    /** The norm before the head, or null. */
    NormWeights finalNorm();

    /** The norm after the embeddings (Bloom), or null. */
    default NormWeights embedNorm() {
        return null;
    }

    /** embedDim -> hidden after the embeddings (OPT-350m), or null. */
    default Linear projectIn() {
        return null;
    }

    /** hidden -> embedDim before the head, or null. */
    default Linear projectOut() {
        return null;
    }

    /**
     * The output projection. Tied: {@code embed.tiedHead(..)}, over the rows of embed (which may be a quantized form
     * of {@link #embed()}); untied: read from the source, embed unused.
     */
    Linear lmHead(Embedding embed);

    /** The whole model in memory. */
    default Model load() {
        ModelConfig c = config();
        Embedding embed = embed();
        java.util.List<Layer> layers = new java.util.ArrayList<>(c.layers());
        for (int i = 0; i < c.layers(); i++) layers.add(layer(i));
        return new Model(c, embed, positions(), layers, finalNorm(), lmHead(embed), embedNorm(), projectIn(), projectOut());
    }

    /** A model already in memory as a source. */
    static LayerSource of(Model m) {
        return new LayerSource() {
            public ModelConfig config() {
                return m.config();
            }

            public Embedding embed() {
                return m.embed();
            }

            public float[] positions() {
                return m.positions();
            }

            public Layer layer(int i) {
                return m.layers().get(i);
            }

            public NormWeights finalNorm() {
                return m.finalNorm();
            }

            public NormWeights embedNorm() {
                return m.embedNorm();
            }

            public Linear projectIn() {
                return m.projectIn();
            }

            public Linear projectOut() {
                return m.projectOut();
            }

            /** The model's own head, unless tied rows are asked for over another (e.g. quantized) embedding. */
            public Linear lmHead(Embedding embed) {
                return !m.config().tiedEmbeddings() || embed == m.embed() ? m.lmHead() : embed.tiedHead(m.lmHead().name());
            }

            public Model load() {
                return m;
            }
        };
    }
}
