package sq.quant;

import sq.model.Architecture;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;
import sq.model.SmoothingGroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Folds smoothing factors into a model: for each of the architecture's smoothing groups, the norm's weight (and
 * LayerNorm bias) is divided by s and every linear of the group has its input columns multiplied by s.
 * Returns a new model; the input model is not modified.
 */
public final class Smoother {
    /** The result: the smoothed model and the factor applied to each group, keyed by norm name. */
    public record Result(Model model, Map<String, float[]> factors, Map<String, Float> alphas) {
    }

    private Smoother() {
    }

    /** One alpha for every group. */
    public static Result smooth(Model model, ActivationStats stats, float alpha) {
        return smooth(model, stats, g -> alpha);
    }

    /**
     * alphaOf gives the alpha of each group (e.g. from the per-group search). An architecture without groups (no norm
     * in front of its linears: {@link sq.model.Architecture#smoothingNote}) comes back unchanged, with no factors.
     */
    public static Result smooth(Model model, ActivationStats stats, ToDoubleFunction<SmoothingGroup> alphaOf) {
        List<Layer> layers = new ArrayList<>();
        Map<String, float[]> factors = new LinkedHashMap<>();
        Map<String, Float> alphas = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++)
            layers.add(smoothLayer(model.config(), l, model.layers().get(l), stats, alphaOf, factors, alphas));
        return new Result(model.withLayers(layers), factors, alphas);
    }

    /**
     * Decoder layer l smoothed (a new layer; src unchanged): what {@link #smooth} does to each layer, for pipelines that
     * hold one layer at a time. The factors and alphas of its groups are added to the maps, keyed by norm name.
     */
    public static Layer smoothLayer(ModelConfig cfg, int l, Layer src, ActivationStats stats, ToDoubleFunction<SmoothingGroup> alphaOf,
                                    Map<String, float[]> factors, Map<String, Float> alphas) {
        boolean unitOffset = cfg.block().norm() == Architecture.Norm.RMS_UNIT_OFFSET;
        Map<String, NormWeights> norms = new HashMap<>();
        Map<String, Linear> linears = new HashMap<>();
        for (SmoothingGroup g : cfg.architecture().smoothingGroups(l)) {
            NormWeights norm = src.norm(g.norm());
            List<DenseLinear> fcs = g.linears().stream().map(n -> dense(src.linear(n))).toList();
            float alpha = (float) alphaOf.applyAsDouble(g);
            float[] s = SmoothingFactor.compute(stats.channelMax(g.linears().getFirst()), alpha,
                    fcs.stream().map(DenseLinear::weight).toArray(float[][]::new));
            norms.put(g.norm(), divide(norm, s, unitOffset));
            for (DenseLinear fc : fcs) linears.put(fc.name(), scaleColumns(fc, s));
            factors.put(g.norm(), s);
            alphas.put(g.norm(), alpha);
        }
        return src.map(n -> norms.getOrDefault(n.name(), n), x -> linears.getOrDefault(x.name(), x));
    }

    static NormWeights divide(NormWeights n, float[] s) {
        return divide(n, s, false);
    }

    /** The norm's outputs divided by s: w / s (Gemma's zero-centred gains: (1 + w) / s - 1), bias / s. */
    static NormWeights divide(NormWeights n, float[] s, boolean unitOffset) {
        float[] w = n.weight().clone();
        float[] b = n.bias() == null ? null : n.bias().clone();
        for (int j = 0; j < s.length; j++) {
            w[j] = unitOffset ? (1f + w[j]) / s[j] - 1f : w[j] / s[j];
            if (b != null) b[j] /= s[j];
        }
        return new NormWeights(n.name(), w, b);
    }

    /** fc with input column j multiplied by s[j] (a new linear). */
    public static DenseLinear scaleColumns(DenseLinear fc, float[] s) {
        float[] w = fc.weight().clone();
        int in = fc.in();
        for (int r = 0; r < fc.out(); r++)
            for (int j = 0; j < in; j++) w[r * in + j] *= s[j];
        return new DenseLinear(fc.name(), w, fc.bias(), in, fc.out());
    }

    private static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is already quantized; smooth the fp32 model first");
    }
}
