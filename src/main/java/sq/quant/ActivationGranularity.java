package sq.quant;

/**
 * Activation scales: per token computed at run time (dynamic), per tensor at run time (dynamic),
 * or per tensor from the calibrated max (static).
 */
public enum ActivationGranularity {
    PER_TOKEN("per_token"), PER_TENSOR_DYNAMIC("per_tensor_dynamic"), PER_TENSOR_STATIC("per_tensor_static");

    public final String id;

    ActivationGranularity(String id) {
        this.id = id;
    }
}
