package sq.quant;

import sq.model.Model;

/**
 * Replaces every decoder-layer linear by a real int8 {@link Int8Linear} under a scheme, with the same static-scale
 * and BMM rules as the simulation ({@link FakeQuantizer#quantize}), and stores the embeddings and lm_head at the given
 * {@link HeadPrecision}. Returns a new model; the input is not modified.
 */
public final class Int8Quantizer {

    private Int8Quantizer() {
    }

    /**
     * @param stats calibration of this (possibly smoothed) model; static schemes read their scales from it
     * @param head  embeddings and lm_head: {@link HeadPrecision#INT8} (the int8 engine's default) or as they are
     */
    public static Model quantize(Model smoothed, Scheme scheme, ActivationStats stats, HeadPrecision head) {
        return head.real(quantizeLayers(smoothed, scheme, stats));
    }

    /** The decoder-layer linears only. */
    static Model quantizeLayers(Model smoothed, Scheme scheme, ActivationStats stats) {
        return FakeQuantizer.quantize(smoothed, scheme, stats, (d, inputMax, quantizeOutput, outputMax) ->
                new Int8Linear(d.name(), Quantizer.int8(d.weight(), d.out(), d.in(), scheme.weights(), scheme.groupSize()),
                        d.bias(), scheme.activations(), inputMax, quantizeOutput, outputMax));
    }
}
