package sq.quant;

import sq.model.Architecture;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.Moe;
import sq.model.NormWeights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SmoothQuant's MLP side of a mixture of experts, three ways (the attention side is the same in all three, from
 * {@link Smoother}). The router stays exact in all of them (fp32; where its columns are scaled, the norm is divided by
 * the same s).
 * <ul>
 *   <li>{@link Policy#REFERENCE}: MIT's Mixtral rule: one s from the router's act_scales (all tokens) and the max over
 *       the router and every expert's gate/up (and the shared expert's) weights, folded into post_attention_layernorm;</li>
 *   <li>{@link Policy#ATTENTION}: llm-compressor's rule: the MLP side is not smoothed;</li>
 *   <li>{@link Policy#PER_EXPERT}: each expert e gets s_e from its own act_scales (the tokens routed to it) and its
 *       own gate/up weights; the norm output is shared, so 1/s_e is applied to the expert's rows as they are gathered,
 *       before their activation quantization ({@link Moe#inputScale}); the shared expert likewise with its own s.</li>
 * </ul>
 */
public final class MoeSmoothing {
    public enum Policy {
        REFERENCE, ATTENTION, PER_EXPERT;

        public String cliName() {
            return name().toLowerCase().replace('_', '-');
        }

        public static Policy parse(String s) {
            for (Policy p : values()) if (p.cliName().equals(s)) return p;
            throw new sq.io.InputException("--moe-smoothing '" + s + "' is not one of reference, attention, per-expert");
        }
    }

    /**
     * MIT's rule, from the trained models/mixtral-4m and its outlier twin (docs/MOE.md): at alpha 0.5 it beats attention-only
     * in all four schemes (O3 +0.12% vs +0.24% of fp32 on the twin, naive +1.27%) and per-expert gains nothing over it;
     * like attention-only it folds into the norm, so compressed-tensors carries it and vLLM loads it (per-expert needs
     * its 1/s_e vectors at run time, which that format cannot carry).
     */
    public static final Policy DEFAULT = Policy.REFERENCE;

    public static final java.util.List<Policy> ALL = java.util.List.of(Policy.values());

    private MoeSmoothing() {
    }

    /** Whether the model has a mixture of experts (the policies then differ). */
    public static boolean applies(Model m) {
        return m.config().block().moe() != null;
    }

    /**
     * Smooths a model: its smoothing groups at alpha (attention, and dense layers' MLPs), then the mixtures by policy.
     * Factors of the MLP side are keyed by the norm name (reference) or by the expert's gate name (per-expert).
     */
    public static Smoother.Result smooth(Model model, ActivationStats stats, float alpha, Policy policy) {
        Smoother.Result base = Smoother.smooth(model, stats, alpha);
        if (policy == Policy.ATTENTION) return base;
        boolean unitOffset = model.config().block().norm() == Architecture.Norm.RMS_UNIT_OFFSET;
        Map<String, float[]> factors = new LinkedHashMap<>(base.factors());
        Map<String, Float> alphas = new LinkedHashMap<>(base.alphas());
        List<Layer> layers = new ArrayList<>();
        for (Layer src : base.model().layers()) {
            Moe m = src.moe;
            if (m == null) {
                layers.add(src);
                continue;
            }
            Layer l = src.map(n -> n, x -> x);
            if (policy == Policy.REFERENCE) {
                List<DenseLinear> fcs = new ArrayList<>();
                fcs.add(dense(m.router));
                if (m.sharedGate != null) fcs.add(dense(m.sharedGate));
                for (int e = 0; e < m.experts(); e++) {
                    fcs.add(dense(m.gate[e]));
                    fcs.add(dense(m.up[e]));
                }
                if (m.sharedGateProj != null) {
                    fcs.add(dense(m.sharedGateProj));
                    fcs.add(dense(m.sharedUp));
                }
                float[] s = SmoothingFactor.compute(stats.channelMax(m.router.name()), alpha, fcs.stream().map(DenseLinear::weight).toArray(float[][]::new));
                NormWeights norm = Smoother.divide(src.mlpNorm, s, unitOffset);
                Layer folded = l.map(n -> n == l.mlpNorm ? norm : n, x -> x);
                Moe f = folded.moe.with(Smoother.scaleColumns(dense(m.router), s),
                        m.sharedGate == null ? null : Smoother.scaleColumns(dense(m.sharedGate), s), null, null);
                scaleGateUp(f, s, -1);
                folded.moe = f;
                factors.put(src.mlpNorm.name(), s);
                alphas.put(src.mlpNorm.name(), alpha);
                layers.add(folded);
            } else {
                float[][] inv = new float[m.experts()][];
                for (int e = 0; e < m.experts(); e++) {
                    float[] s = SmoothingFactor.compute(MoeCalibration.expertInput(stats, m, e), alpha, dense(m.gate[e]).weight(), dense(m.up[e]).weight());
                    inv[e] = reciprocal(s);
                    factors.put(m.gate[e].name(), s);
                }
                float[] sharedInv = null, sharedS = null;
                if (m.sharedGateProj != null) {
                    sharedS = SmoothingFactor.compute(stats.channelMax(m.sharedGateProj.name()), alpha, dense(m.sharedGateProj).weight(), dense(m.sharedUp).weight());
                    sharedInv = reciprocal(sharedS);
                    factors.put(m.sharedGateProj.name(), sharedS);
                }
                Moe f = l.moe.with(m.router, m.sharedGate, inv, sharedInv);
                for (int e = 0; e < m.experts(); e++) scaleGateUp(f, factors.get(m.gate[e].name()), e);
                if (sharedS != null) {
                    f.sharedGateProj = Smoother.scaleColumns(dense(f.sharedGateProj), sharedS);
                    f.sharedUp = Smoother.scaleColumns(dense(f.sharedUp), sharedS);
                }
                l.moe = f;
                layers.add(l);
            }
        }
        return new Smoother.Result(base.model().withLayers(layers), factors, alphas);
    }

    /** Expert e's (all experts' for e = -1, and then the shared expert's) gate and up columns times s, in place. */
    private static void scaleGateUp(Moe f, float[] s, int e) {
        for (int i = e < 0 ? 0 : e; i < (e < 0 ? f.experts() : e + 1); i++) {
            f.gate[i] = Smoother.scaleColumns(dense(f.gate[i]), s);
            f.up[i] = Smoother.scaleColumns(dense(f.up[i]), s);
        }
        if (e < 0 && f.sharedGateProj != null) {
            f.sharedGateProj = Smoother.scaleColumns(dense(f.sharedGateProj), s);
            f.sharedUp = Smoother.scaleColumns(dense(f.sharedUp), s);
        }
    }

    private static float[] reciprocal(float[] s) {
        float[] r = new float[s.length];
        for (int j = 0; j < s.length; j++) r[j] = 1f / s[j];
        return r;
    }

    private static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is already quantized; smooth the fp32 model first");
    }
}
