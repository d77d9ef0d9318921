package sq.quant;

/** How many scales a weight matrix gets: one, one per output channel (row), or one per group of g inputs of a row. */
public enum WeightGranularity {
    PER_TENSOR("per_tensor"), PER_CHANNEL("per_channel"), PER_GROUP("per_group");

    public final String id;

    WeightGranularity(String id) {
        this.id = id;
    }
}
