package sq.model;

import sq.kernels.Bf16MatMul;

import java.lang.foreign.MemorySegment;

/**
 * An fp32-engine linear layer whose weight [out, in] stays bfloat16 where it lies (a slice of the mapped
 * safetensors file), widened on use by {@link Bf16MatMul}: same results as a {@link DenseLinear} of the widened
 * weights, bit for bit, with half the resident bytes and half the bytes a decode step streams.
 * The mapping must outlive the layer (the checkpoint stays open while the model runs).
 */
public record Bf16Linear(String name, MemorySegment weight, float[] bias, int in, int out) implements Linear {
    public Bf16Linear {
        if (weight.byteSize() != 2L * in * out)
            throw new IllegalArgumentException(name + ": weight of " + weight.byteSize() + " bytes != 2 x " + out + "x" + in);
        if (bias != null && bias.length != out) throw new IllegalArgumentException(name + ": bias length " + bias.length + " != " + out);
    }

    @Override
    public void forward(float[] x, int tokens, float[] y) {
        Bf16MatMul.matmul(x, tokens, weight, bias, in, out, y);
    }

    @Override
    public long weightBytes() {
        return 2L * in * out;
    }
}
