package sq.bert;

import sq.io.InputException;
import sq.model.DenseLinear;
import sq.quant.ActivationGranularity;
import sq.quant.ActivationStats;
import sq.quant.FakeQuantLinear;
import sq.quant.Int8Linear;
import sq.quant.Quantizer;
import sq.quant.Scheme;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * W8A8 for encoders: every encoder linear (q, k, v, o, fc1, fc2; not the embeddings) becomes simulated int8 under a
 * scheme, with the query/key/value outputs quantized too where the scheme quantizes the attention BMM inputs.
 * {@link #smoothQuant} is the whole method: calibrate, smooth (fixed or per-group automatic alpha), re-calibrate
 * where the scheme has static scales, quantize.
 */
public final class BertQuantizer {
    private BertQuantizer() {
    }

    /** Which implementation the quantized linears get. */
    public enum Engine {
        /** {@link FakeQuantLinear}: int8 round trips in float (the simulation; measures accuracy). */
        FAKE,
        /** {@link Int8Linear}: int8 weights, int8 activations quantized at run time, exact int32 products. */
        INT8
    }

    /** The simulation ({@link Engine#FAKE}). */
    public static BertModel quantize(BertModel model, Scheme scheme, ActivationStats stats) {
        return quantize(model, scheme, stats, Engine.FAKE);
    }

    /** @param stats calibration of this (possibly smoothed) model; static schemes read their scales from it */
    public static BertModel quantize(BertModel model, Scheme scheme, ActivationStats stats, Engine engine) {
        boolean isStatic = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC;
        BertModel q = model.mapLinears(l -> {
            DenseLinear d = BertSmoothing.dense(l);
            ActivationStats.Entry e = isStatic ? stats.get(d.name()) : null;
            boolean quantOut = scheme.bmm() && BertCalibrator.isBmmInput(d.name());
            if (e != null && quantOut && Float.isNaN(e.outputMax()))
                throw new InputException("calibration statistics lack the output max of " + d.name() + " needed by the static scheme");
            float inMax = e == null ? 0 : e.inputMax(), outMax = e == null ? 0 : e.outputMax();
            if (engine == Engine.INT8) // the encoder round-trips the BMM inputs itself (vectorized), see below; weights
                // packed once: a sentence is ~80 tokens, too few to amortize packing them per call
                return new Int8Linear(d.name(), Quantizer.int8(d.weight(), d.out(), d.in(), scheme.weights(), scheme.groupSize()),
                        d.bias(), scheme.activations(), inMax, false, outMax).withPackedWeights();
            return new FakeQuantLinear(d.name(), Quantizer.weights(d.weight(), d.out(), d.in(), scheme.weights(), scheme.groupSize()),
                    d.bias(), d.in(), d.out(), scheme.activations(), inMax, quantOut, outMax);
        });
        if (engine == Engine.INT8 && scheme.bmm()) {
            for (BertLayer l : q.layers()) {
                l.bmmQuant = scheme.activations();
                if (isStatic)
                    l.bmmStaticMax = new float[]{stats.get(l.q.name()).outputMax(), stats.get(l.k.name()).outputMax(), stats.get(l.v.name()).outputMax()};
            }
        }
        return q;
    }

    /**
     * @param quantized the W8A8 model
     * @param smoothed  the smoothed fp32 model
     * @param alphas    alpha per group (by {@link BertSmoothing#groupName})
     */
    public record Result(BertModel quantized, BertModel smoothed, Map<String, Float> alphas, ActivationStats smoothedStats) {
    }

    /**
     * @param stats  calibration of the fp32 model on calib (see {@link BertCalibrator})
     * @param alpha  a value in [0, 1], or null for the per-group search
     * @param maxSearchTokens calibration tokens the alpha search looks at
     */
    public static Result smoothQuant(BertModel fp32, ActivationStats stats, List<int[]> calib, Float alpha, Scheme scheme,
                                     Set<BertSmoothing.Group> groups, int maxSearchTokens) {
        BertSmoothing.Result s;
        if (alpha != null) {
            s = BertSmoothing.smooth(fp32, stats, groups, alpha);
        } else {
            Map<String, Float> chosen = BertSmoothing.searchAlphas(fp32, stats, calib, maxSearchTokens, scheme, groups);
            s = BertSmoothing.smooth(fp32, stats, groups, chosen::get);
        }
        ActivationStats smoothedStats = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC
                ? BertCalibrator.calibrate(s.model(), calib, i -> { }) : stats;
        return new Result(quantize(s.model(), scheme, smoothedStats), s.model(), s.alphas(), smoothedStats);
    }

    /** Naive W8A8 (no smoothing). */
    public static BertModel naive(BertModel fp32, ActivationStats stats, Scheme scheme) {
        return quantize(fp32, scheme, stats);
    }

    /** Calibration with a no-op progress. */
    public static ActivationStats calibrate(BertModel model, List<int[]> calib, IntConsumer progress) {
        return BertCalibrator.calibrate(model, calib, progress);
    }
}
