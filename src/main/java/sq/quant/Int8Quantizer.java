package sq.quant;

import sq.model.Layer;
import sq.model.Linear;
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
        Model m = FakeQuantizer.quantize(smoothed, scheme, stats, (d, inputMax, quantizeOutput, outputMax) ->
                new Int8Linear(d.name(), Quantizer.int8(d.weight(), d.out(), d.in(), scheme.weights(), scheme.groupSize()),
                        d.bias(), scheme.activations(), inputMax, quantizeOutput, outputMax));
        oneArrayPerLayer(m);
        return m;
    }

    /** {@link #oneArray} for every decoder layer of a model built here or loaded (its layers are replaced in place). */
    public static void oneArrayPerLayer(Model m) {
        for (Layer l : m.layers()) oneArray(l);
    }

    /**
     * Moves a layer's int8 weights into one array (in q, k, v, o, gate, up, down order). The Java heap rounds every
     * large array up to whole 1 MB regions, and these sizes are powers of two plus a header: per TinyLlama layer
     * seven arrays wasted ~6 MB (132 MB over the model), one array wastes under 1 MB. Weights mapped from a file stay
     * where they are.
     */
    private static void oneArray(Layer l) {
        long total = 0;
        for (Linear x : l.linears())
            if (onHeap(x)) total += (long) x.out() * x.in();
        if (total == 0 || total > Integer.MAX_VALUE - 16) return; // nothing to move, or too big for one array: leave as is
        byte[] data = new byte[(int) total];
        int[] at = {0};
        l.replaceLinears(x -> {
            if (!onHeap(x)) return x;
            Int8Linear q = (Int8Linear) x;
            Int8Linear moved = q.withWeights(q.weights().movedTo(data, at[0]));
            at[0] += q.out() * q.in();
            return moved;
        });
    }

    private static boolean onHeap(Linear x) {
        return x instanceof Int8Linear q && q.weights().mapped() == null;
    }
}
