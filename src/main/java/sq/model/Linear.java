package sq.model;

/**
 * A linear layer y = x W^T + b in Hugging Face layout (W is [out, in]). Implementations: dense fp32 here;
 * quantized variants (simulated and real int8) plug in behind the same interface.
 */
public interface Linear {
    /** Hugging Face module name, e.g. model.layers.0.self_attn.q_proj */
    String name();

    int in();

    int out();

    /** y[T, out] = x[T, in] W^T + b; x and y are row-major and distinct. */
    void forward(float[] x, int tokens, float[] y);

    /** Bytes of weights one forward pass reads (what decode streams per token): 4 per weight unless quantized. */
    default long weightBytes() {
        return 4L * in() * out();
    }
}
