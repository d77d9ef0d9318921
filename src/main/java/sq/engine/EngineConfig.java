package sq.engine;

/**
 * @param maxBatch    sequences running at once (decoding or being prefilled)
 * @param tokenBudget tokens per step: every decoding sequence's one, the rest for prompt chunks (>= maxBatch)
 * @param kvBlocks    blocks of {@link BlockPool#BLOCK} positions in the KV pool
 * @param maxQueue    requests waiting for admission at most (>= 1); more are refused ({@link QueueFullException})
 * @param maxContext  positions per sequence at most (prompt + new tokens), at most the model's
 */
public record EngineConfig(int maxBatch, int tokenBudget, int kvBlocks, int maxQueue, int maxContext) {
    public EngineConfig {
        if (maxBatch < 1 || tokenBudget < maxBatch || kvBlocks < 1 || maxQueue < 1 || maxContext < 2)
            throw new IllegalArgumentException("bad engine config " + this);
    }
}
