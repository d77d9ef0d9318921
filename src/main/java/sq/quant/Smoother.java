package sq.quant;

import sq.io.InputException;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
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

    /** alphaOf gives the alpha of each group (e.g. from the per-group search). */
    public static Result smooth(Model model, ActivationStats stats, ToDoubleFunction<SmoothingGroup> alphaOf) {
        var arch = model.architecture();
        List<Layer> layers = new ArrayList<>();
        Map<String, float[]> factors = new LinkedHashMap<>();
        Map<String, Float> alphas = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++) {
            Layer src = model.layers().get(l);
            Map<String, NormWeights> norms = new HashMap<>();
            Map<String, Linear> linears = new HashMap<>();
            List<SmoothingGroup> groups = arch.smoothingGroups(l);
            if (groups.isEmpty()) throw new InputException(arch.name() + " declares no smoothing groups");
            for (SmoothingGroup g : groups) {
                NormWeights norm = normByName(src, g.norm());
                List<DenseLinear> fcs = g.linears().stream().map(n -> dense(linearByName(src, n))).toList();
                float alpha = (float) alphaOf.applyAsDouble(g);
                float[] s = SmoothingFactor.compute(stats.channelMax(g.linears().getFirst()), alpha,
                        fcs.stream().map(DenseLinear::weight).toArray(float[][]::new));
                norms.put(g.norm(), divide(norm, s));
                for (DenseLinear fc : fcs) linears.put(fc.name(), scaleColumns(fc, s));
                factors.put(g.norm(), s);
                alphas.put(g.norm(), alpha);
            }
            layers.add(new Layer(norms.getOrDefault(src.attnNorm.name(), src.attnNorm), src.qNorm, src.kNorm,
                    norms.getOrDefault(src.mlpNorm.name(), src.mlpNorm),
                    pick(linears, src.q), pick(linears, src.k), pick(linears, src.v), pick(linears, src.o),
                    pick(linears, src.gate), pick(linears, src.up), pick(linears, src.down)));
        }
        return new Result(new Model(model.config(), model.embed(), model.positions(), layers, model.finalNorm(), model.lmHead()),
                factors, alphas);
    }

    static NormWeights divide(NormWeights n, float[] s) {
        float[] w = n.weight().clone();
        float[] b = n.bias() == null ? null : n.bias().clone();
        for (int j = 0; j < s.length; j++) {
            w[j] /= s[j];
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

    private static Linear pick(Map<String, Linear> replaced, Linear original) {
        return original == null ? null : replaced.getOrDefault(original.name(), original);
    }

    static NormWeights normByName(Layer layer, String name) {
        for (NormWeights n : new NormWeights[]{layer.attnNorm, layer.mlpNorm})
            if (n.name().equals(name)) return n;
        throw new IllegalStateException("smoothing group names norm '" + name + "' which the layer does not have");
    }

    static Linear linearByName(Layer layer, String name) {
        for (Linear x : new Linear[]{layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down})
            if (x != null && x.name().equals(name)) return x;
        throw new IllegalStateException("smoothing group names linear '" + name + "' which the layer does not have");
    }

    private static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is already quantized; smooth the fp32 model first");
    }
}
