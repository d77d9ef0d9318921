package sq.model;

/** Parameters of an RMSNorm (bias null) or LayerNorm; SmoothQuant rescales them in place when it smooths. */
public record NormWeights(String name, float[] weight, float[] bias) {
}
