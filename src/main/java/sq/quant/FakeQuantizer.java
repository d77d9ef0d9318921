package sq.quant;

import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Replaces every decoder-layer linear by its simulated-int8 version under a scheme, or by the LLM.int8()-style
 * mixed-precision baseline. lm_head and embeddings stay float as in the reference (the evaluation tables), unless a
 * {@link HeadPrecision} asks for their simulated int8 form (to compare with the int8 engine). Returns a new model;
 * the input is not modified.
 */
public final class FakeQuantizer {
    /** LLM.int8()'s outlier threshold on max|x| of an input channel. */
    public static final float LLM_INT8_THRESHOLD = 6.0f;

    private FakeQuantizer() {
    }

    /** @param stats calibration of this (possibly smoothed) model; static schemes read their scales from it */
    public static Model quantize(Model model, Scheme scheme, ActivationStats stats) {
        return quantize(model, scheme, stats, (d, inputMax, quantizeOutput, outputMax) ->
                new FakeQuantLinear(d.name(), Quantizer.weights(d.weight(), d.out(), d.in(), scheme.weights(), scheme.groupSize()),
                        d.bias(), d.in(), d.out(), scheme.activations(), inputMax, quantizeOutput, outputMax));
    }

    /** Same, with the embeddings and lm_head simulated at the given precision (what the int8 engine holds). */
    public static Model quantize(Model model, Scheme scheme, ActivationStats stats, HeadPrecision head) {
        return head.simulated(quantize(model, scheme, stats));
    }

    /** Builds the quantized version of one dense linear from the static scales that apply to it under the scheme. */
    @FunctionalInterface
    interface LinearFactory {
        /**
         * @param inputMax       calibrated max|x| (0 unless the scheme is static)
         * @param quantizeOutput whether the output feeds the attention BMMs and the scheme quantizes them
         * @param outputMax      calibrated max|y| (0 unless the scheme is static)
         */
        Linear create(DenseLinear dense, float inputMax, boolean quantizeOutput, float outputMax);
    }

    /**
     * Every decoder-layer linear through the factory, with the scheme's rules for static scales and BMM inputs;
     * shared by the simulated ({@link FakeQuantLinear}) and the real int8 ({@link Int8Linear}) path.
     */
    static Model quantize(Model model, Scheme scheme, ActivationStats calibrated, LinearFactory factory) {
        Set<String> bmmInputs = bmmInputs(model);
        // static scales of experts that calibration (almost) never reached: MoeCalibration's rule
        ActivationStats stats = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC
                ? MoeCalibration.withFallbacks(model, calibrated) : calibrated;
        return map(model, l -> {
            DenseLinear d = (DenseLinear) l;
            ActivationStats.Entry e = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC ? stats.get(d.name()) : null;
            boolean quantOut = scheme.bmm() && bmmInputs.contains(d.name());
            if (e != null && quantOut && Float.isNaN(e.outputMax()))
                throw new sq.io.InputException("calibration statistics lack the output max of " + d.name() + " needed by the static scheme");
            return factory.create(d, e == null ? 0 : e.inputMax(), quantOut, e == null ? 0 : e.outputMax());
        });
    }

    /** The LLM.int8()-style baseline; also returns the share of input channels kept in floating point. */
    public record MixedResult(Model model, double fpChannelShare) {
    }

    public static MixedResult llmInt8(Model model, ActivationStats stats) {
        long[] counts = new long[2];
        Model m = map(model, l -> {
            DenseLinear d = (DenseLinear) l;
            float[] act = stats.channelMax(d.name());
            boolean[] outlier = new boolean[d.in()];
            for (int j = 0; j < d.in(); j++) {
                outlier[j] = act[j] > LLM_INT8_THRESHOLD;
                if (outlier[j]) counts[0]++;
            }
            counts[1] += d.in();
            return new LlmInt8Linear(d.name(), d.weight(), d.bias(), d.in(), d.out(), outlier);
        });
        return new MixedResult(m, (double) counts[0] / counts[1]);
    }

    static Set<String> bmmInputs(Model model) {
        Set<String> s = new java.util.HashSet<>();
        for (Layer l : model.layers())
            for (Linear x : l.qkv != null ? new Linear[]{l.qkv} : new Linear[]{l.q, l.k, l.v}) s.add(x.name());
        return s;
    }

    /** A copy of the model with every decoder-layer linear passed through f. */
    static Model map(Model model, UnaryOperator<Linear> f) {
        List<Layer> layers = new ArrayList<>();
        for (Layer l : model.layers()) layers.add(l.map(n -> n, f));
        return model.withLayers(layers);
    }
}
