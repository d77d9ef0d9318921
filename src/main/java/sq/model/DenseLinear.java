package sq.model;

import sq.kernels.MatMul;

/** An fp32 linear layer: weight [out, in] row-major, optional bias [out]. */
public record DenseLinear(String name, float[] weight, float[] bias, int in, int out) implements Linear {
    public DenseLinear {
        if (weight.length != (long) in * out) throw new IllegalArgumentException(name + ": weight length " + weight.length + " != " + out + "x" + in);
        if (bias != null && bias.length != out) throw new IllegalArgumentException(name + ": bias length " + bias.length + " != " + out);
    }

    @Override
    public void forward(float[] x, int tokens, float[] y) {
        MatMul.matmul(x, 0, tokens, weight, 0, bias, in, out, y, 0);
    }
}
