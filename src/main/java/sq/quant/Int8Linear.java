package sq.quant;

import sq.kernels.Int8GroupedMatMul;
import sq.kernels.Int8MatMul;
import sq.kernels.Int8PackedWeights;
import sq.kernels.Int8Quantize;
import sq.model.Linear;

/**
 * Real W8A8: int8 weights with their scales; the input is quantized to int8 at run time (per the scheme's
 * activation granularity) and multiplied in exact int32 ({@link Int8MatMul}), dequantized as the output is written.
 * Computes what {@link FakeQuantLinear} simulates, up to float rounding. Where the output feeds the attention BMMs,
 * it is round-tripped through int8 in float as in the simulation, since the attention is still float.
 */
public final class Int8Linear implements Linear {
    private final String name;
    private final Quantizer.Int8Weights weights;
    private final float[] bias;
    private final ActivationGranularity activations;
    private final float inputMax, outputMax;
    private final boolean quantizeOutput;
    /** The weights also in the prefill GEMM's layout, or null: packed per call instead. */
    private final Int8PackedWeights packed;

    /**
     * @param weights   from {@link Quantizer#int8}
     * @param inputMax  calibrated max|x| (static scheme)
     * @param outputMax calibrated max|y| (static scheme with output quantization)
     */
    public Int8Linear(String name, Quantizer.Int8Weights weights, float[] bias, ActivationGranularity activations,
                      float inputMax, boolean quantizeOutput, float outputMax) {
        this(name, weights, bias, activations, inputMax, quantizeOutput, outputMax, null);
    }

    private Int8Linear(String name, Quantizer.Int8Weights weights, float[] bias, ActivationGranularity activations,
                       float inputMax, boolean quantizeOutput, float outputMax, Int8PackedWeights packed) {
        if (bias != null && bias.length != weights.out())
            throw new IllegalArgumentException(name + ": bias length " + bias.length + " != " + weights.out());
        this.name = name;
        this.weights = weights;
        this.bias = bias;
        this.activations = activations;
        this.inputMax = inputMax;
        this.quantizeOutput = quantizeOutput;
        this.outputMax = outputMax;
        this.packed = packed;
    }

    /** The same layer over other storage of the same weights (e.g. a slice of one array per decoder layer). */
    Int8Linear withWeights(Quantizer.Int8Weights moved) {
        if (moved.out() != weights.out() || moved.in() != weights.in())
            throw new IllegalArgumentException(name + ": weights " + moved.out() + "x" + moved.in() + " for " + out() + "x" + in());
        return new Int8Linear(name, moved, bias, activations, inputMax, quantizeOutput, outputMax, packed);
    }

    /**
     * The same layer holding its weights also packed for the prefill GEMM ({@link Int8PackedWeights}: 2.7x the int8
     * bytes more), so multi-token calls skip packing: for small models run on short inputs (encoders), where packing
     * is a large share of each call. Per-group weights have their own kernel and stay as they are.
     */
    public Int8Linear withPackedWeights() {
        if (packed != null || weights.granularity() == WeightGranularity.PER_GROUP) return this;
        // mapped weights come onto the heap: the packed copy is one anyway, and decode then streams the heap copy
        Quantizer.Int8Weights w = weights.mapped() == null ? weights : new Quantizer.Int8Weights(weights.q(), weights.scales(),
                weights.granularity(), weights.groupSize(), weights.out(), weights.in());
        return new Int8Linear(name, w, bias, activations, inputMax, quantizeOutput, outputMax,
                Int8PackedWeights.of(w.data(), w.offset(), w.in(), w.out()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int in() {
        return weights.in();
    }

    @Override
    public int out() {
        return weights.out();
    }

    public Quantizer.Int8Weights weights() {
        return weights;
    }

    /** int8 weights plus their float scales: what one decode step streams (a packed copy serves prefill only). */
    @Override
    public long weightBytes() {
        return weights.bytes();
    }

    /**
     * Per-thread buffers for the quantized input, reused by every Int8Linear on the thread (forward passes do not
     * nest): xq grows to the largest T x in seen; the scales array has exactly the length the kernels take.
     */
    static final class Scratch {
        byte[] xq = new byte[0];
        float[] scales = new float[0];

        /** xq [T, in], possibly longer. */
        byte[] xq(int n) {
            if (xq.length < n) xq = new byte[n];
            return xq;
        }

        /** [T] per token, [1] per tensor. */
        float[] scales(int n) {
            if (scales.length != n) scales = new float[n];
            return scales;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public void forward(float[] x, int tokens, float[] y) {
        int in = in(), out = out();
        Scratch s = SCRATCH.get();
        float[] xScale = quantizeInput(x, tokens, s);
        byte[] xq = s.xq;
        Quantizer.Int8Weights.Mapped m = weights.mapped();
        if (m != null) {
            m.file().require(); // the file still whole: a truncated mapping would fault in the kernel (MappedFileCheck)
            if (weights.granularity() == WeightGranularity.PER_GROUP)
                Int8GroupedMatMul.matmul(xq, xScale, tokens, m.bytes(), weights.scales(), weights.groupSize(), bias, in, out, y);
            else Int8MatMul.matmul(xq, xScale, tokens, m.bytes(), weights.scales(), bias, in, out, y);
        } else if (weights.granularity() == WeightGranularity.PER_GROUP)
            Int8GroupedMatMul.matmul(xq, xScale, tokens, weights.data(), weights.offset(), weights.scales(), weights.groupSize(), bias,
                    in, out, y);
        else if (packed != null)
            Int8MatMul.matmul(xq, xScale, tokens, weights.data(), weights.offset(), packed, weights.scales(), bias, in, out, y);
        else
            Int8MatMul.matmul(xq, xScale, tokens, weights.data(), weights.offset(), weights.scales(), bias, in, out, y);
        finishOutput(y, tokens);
    }

    @Override
    public void forwardShared(Linear[] linears, float[] x, int tokens, float[][] ys) {
        Int8SharedInput.forward(linears, x, tokens, ys);
    }

    /** x [T, in] as int8 into this thread's buffer ({@link #inputBuffer}); returns the scales: [T] per token, [1] per tensor. */
    float[] quantizeInput(float[] x, int tokens, Scratch s) {
        int in = in();
        byte[] xq = s.xq(tokens * in);
        float[] xScale = s.scales(activations == ActivationGranularity.PER_TOKEN ? tokens : 1);
        switch (activations) {
            case PER_TOKEN -> Int8Quantize.perToken(x, 0, tokens, in, xq, 0, xScale, 0);
            case PER_TENSOR_DYNAMIC -> xScale[0] = Int8Quantize.perTensor(x, 0, tokens * in, xq, 0);
            case PER_TENSOR_STATIC -> xScale[0] = Int8Quantize.perTensorStatic(x, 0, tokens * in, inputMax, xq, 0);
        }
        return xScale;
    }

    /** The output rounded through int8 where it feeds float attention BMMs (see the class comment). */
    void finishOutput(float[] y, int tokens) {
        if (quantizeOutput) Quantizer.activations(y, tokens, out(), activations, outputMax);
    }

    /** This thread's input buffers. */
    static Scratch inputBuffer() {
        return SCRATCH.get();
    }

    /**
     * Whether other quantizes its input exactly as this one does (so the two can share one int8 copy of it): the
     * same granularity and, for a static scale, the same calibrated max.
     */
    boolean sameInputQuantization(Int8Linear other) {
        return activations == other.activations && in() == other.in()
                && (activations != ActivationGranularity.PER_TENSOR_STATIC || Float.compare(inputMax, other.inputMax) == 0);
    }

    float[] bias() {
        return bias;
    }

    boolean hasPackedWeights() {
        return packed != null;
    }
}
