package sq.quant;

import sq.eval.Windows;
import sq.model.Model;

import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The whole method in one call: calibrate the fp32 model, smooth it with a fixed alpha or the per-group search,
 * re-calibrate the smoothed model where the scheme needs static scales, and fake-quantize it.
 */
public final class SmoothQuant {
    /**
     * @param stats         calibration of the fp32 model (act_scales; what smoothing uses)
     * @param smoothedStats calibration of the smoothed model (static scales for O3; the same object otherwise)
     * @param alphas        alpha per smoothing group, keyed by norm name
     */
    public record Result(Model quantized, Model smoothed, Scheme scheme, ActivationStats stats, ActivationStats smoothedStats,
                         Map<String, Float> alphas, Map<String, float[]> factors) {
    }

    private SmoothQuant() {
    }

    /** alpha: a number in [0, 1] or null for the per-group automatic search. */
    public static Result quantize(Model fp32, Windows calib, Float alpha, Scheme scheme, IntConsumer progress) {
        ActivationStats stats = Calibrator.calibrate(fp32, calib, progress);
        return quantize(fp32, stats, calib, alpha, scheme);
    }

    /** Same, from statistics already collected on the fp32 model. */
    public static Result quantize(Model fp32, ActivationStats stats, Windows calib, Float alpha, Scheme scheme) {
        return quantize(fp32, stats, calib, alpha, scheme, MoeSmoothing.DEFAULT);
    }

    /**
     * Same, with a mixture of experts' MLP side smoothed by policy (dense models: no effect); the per-group alpha search
     * covers the smoothing groups (attention), so with alpha null the experts are not smoothed.
     */
    public static Result quantize(Model fp32, ActivationStats stats, Windows calib, Float alpha, Scheme scheme, MoeSmoothing.Policy policy) {
        Smoother.Result s;
        if (alpha != null) {
            s = MoeSmoothing.smooth(fp32, stats, alpha, policy);
        } else {
            Map<String, Float> chosen = AlphaSearch.search(fp32, stats, AlphaSearch.collectGroupInputs(fp32, calib, 4096), scheme);
            s = Smoother.smooth(fp32, stats, g -> chosen.get(g.norm()));
        }
        ActivationStats smoothedStats = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC
                ? Calibrator.calibrate(s.model(), calib, w -> { }) : stats;
        return new Result(FakeQuantizer.quantize(s.model(), scheme, smoothedStats), s.model(), scheme, stats, smoothedStats,
                s.alphas(), s.factors());
    }
}
