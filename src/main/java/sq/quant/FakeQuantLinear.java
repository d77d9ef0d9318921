package sq.quant;

import sq.kernels.MatMul;
import sq.model.Linear;

/**
 * Simulated W8A8 (fake quantization): weights stored already round-tripped through int8; the input is round-tripped
 * at run time (on a copy: q, k and v share their input); optionally the output too (q/k/v outputs are the inputs
 * of the attention BMMs). Arithmetic stays in float, so this measures accuracy, not speed.
 */
public final class FakeQuantLinear implements Linear {
    private final String name;
    private final float[] weight, bias;
    private final int in, out;
    private final ActivationGranularity activations;
    private final float inputMax, outputMax;
    private final boolean quantizeOutput;

    /**
     * @param inputMax  calibrated max|x| (static scheme)
     * @param outputMax calibrated max|y| (static scheme with output quantization)
     */
    public FakeQuantLinear(String name, float[] quantizedWeight, float[] bias, int in, int out, ActivationGranularity activations,
                           float inputMax, boolean quantizeOutput, float outputMax) {
        this.name = name;
        this.weight = quantizedWeight;
        this.bias = bias;
        this.in = in;
        this.out = out;
        this.activations = activations;
        this.inputMax = inputMax;
        this.quantizeOutput = quantizeOutput;
        this.outputMax = outputMax;
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
        float[] xq = java.util.Arrays.copyOf(x, tokens * in);
        Quantizer.activations(xq, tokens, in, activations, inputMax);
        MatMul.matmul(xq, 0, tokens, weight, 0, bias, in, out, y, 0);
        if (quantizeOutput) Quantizer.activations(y, tokens, out, activations, outputMax);
    }
}
