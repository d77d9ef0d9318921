package sq.model;

/**
 * The shape of a decoder-only transformer, read from config.json by its {@link Architecture}.
 *
 * @param headDim        per-head width (hidden / heads unless the config says otherwise, as Qwen3 does)
 * @param normEps        RMSNorm / LayerNorm epsilon
 * @param ropeTheta      RoPE base; 0 for models with learned positions (OPT)
 * @param tiedEmbeddings lm_head shares the token embedding matrix
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
        Integer eosId) {

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Number of parameters of the decoder (embeddings, layers, norms, head), for memory estimates and reports. */
    public long parameterCount() {
        long perLayer = (long) hidden * qDim() + 2L * hidden * kvDim() + (long) qDim() * hidden
                + (long) architecture.mlpMatrices() * hidden * intermediate + 2L * hidden;
        long embed = (long) vocab * hidden;
        return layers * perLayer + embed + (tiedEmbeddings ? 0 : embed) + hidden;
    }
}
