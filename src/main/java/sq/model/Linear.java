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

    /**
     * ys[i] = linears[i](x) for linears that read the same input x (this one is linears[0]): q, k, v or gate, up. One
     * by one unless an implementation can do better (int8 quantizes x once and runs them as one matmul).
     */
    default void forwardShared(Linear[] linears, float[] x, int tokens, float[][] ys) {
        for (int i = 0; i < linears.length; i++) linears[i].forward(x, tokens, ys[i]);
    }

    /** Bytes of weights one forward pass reads (what decode streams per token): 4 per weight unless quantized. */
    default long weightBytes() {
        return 4L * in() * out();
    }
}
