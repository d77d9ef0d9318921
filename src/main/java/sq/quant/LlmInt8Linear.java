package sq.quant;

import sq.kernels.MatMul;
import sq.model.Linear;

/**
 * LLM.int8()-style mixed precision (Dettmers et al.): input channels whose calibrated max|x| exceeds a threshold
 * (6.0) stay in floating point; the rest go through int8 with per-token activations and per-channel weights.
 * y = x[:, outliers] W[:, outliers]^T + Q(x[:, rest]) Q(W[:, rest])^T + b
 */
public final class LlmInt8Linear implements Linear {
    private final String name;
    private final int in, out;
    private final boolean[] outlier;
    private final float[] fpWeight, int8Weight, bias;

    public LlmInt8Linear(String name, float[] weight, float[] bias, int in, int out, boolean[] outlier) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.outlier = outlier;
        this.bias = bias;
        fpWeight = new float[weight.length];
        float[] rest = new float[weight.length];
        for (int r = 0; r < out; r++)
            for (int j = 0; j < in; j++) (outlier[j] ? fpWeight : rest)[r * in + j] = weight[r * in + j];
        int8Weight = Quantizer.weights(rest, out, in, WeightGranularity.PER_CHANNEL, 0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }

    @Override
    public void forward(float[] x, int tokens, float[] y) {
        float[] fp = new float[tokens * in], rest = new float[tokens * in];
        for (int i = 0; i < tokens * in; i++) (outlier[i % in] ? fp : rest)[i] = x[i];
        Quantizer.activations(rest, tokens, in, ActivationGranularity.PER_TOKEN, 0);
        float[] y2 = new float[tokens * out];
        MatMul.matmul(fp, 0, tokens, fpWeight, 0, bias, in, out, y, 0);
        MatMul.matmul(rest, 0, tokens, int8Weight, 0, null, in, out, y2, 0);
        for (int i = 0; i < y2.length; i++) y[i] += y2[i];
    }
}
