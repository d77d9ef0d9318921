package sq.quant;

import sq.eval.Windows;
import sq.kernels.MatMul;
import sq.model.DenseLinear;
import sq.model.KvCache;
import sq.model.Layer;
import sq.model.Model;
import sq.model.SmoothingGroup;
import sq.model.Transformer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-group automatic alpha (beyond the paper, like Intel Neural Compressor's search): for each smoothing group
 * independently, try alpha = 0, 0.05, ..., 1 and keep the one whose fake-quantized outputs of the group's linears
 * are closest (mean squared error) to the fp32 outputs on calibration tokens.
 */
public final class AlphaSearch {
    public static final float STEP = 0.05f;

    private AlphaSearch() {
    }

    /** The fp32 inputs of each smoothing group (keyed by norm name): [tokens, in] from the first windows of calib. */
    public static Map<String, float[]> collectGroupInputs(Model model, Windows calib, int maxTokens) {
        Map<String, String> firstLinearToNorm = new HashMap<>();
        for (int l = 0; l < model.layers().size(); l++)
            for (SmoothingGroup g : model.architecture().smoothingGroups(l)) firstLinearToNorm.put(g.linears().getFirst(), g.norm());
        Map<String, float[]> inputs = new LinkedHashMap<>();
        int windows = Math.max(1, Math.min(calib.count(), maxTokens / calib.length()));
        int T = calib.length();
        Transformer tf = new Transformer(model);
        KvCache cache = tf.newCache(T);
        for (int w = 0; w < windows; w++) {
            int offset = w * T;
            tf.setObserver((linear, x, y, tokens) -> {
                String norm = firstLinearToNorm.get(linear.name());
                if (norm == null) return;
                float[] all = inputs.computeIfAbsent(norm, k -> new float[windows * T * linear.in()]);
                System.arraycopy(x, 0, all, offset * linear.in(), tokens * linear.in());
            });
            cache.clear();
            tf.forward(calib.window(w), cache, false);
        }
        return inputs;
    }

    /** The best alpha per group (keyed by norm name) for this scheme. */
    public static Map<String, Float> search(Model model, ActivationStats stats, Map<String, float[]> groupInputs, Scheme scheme) {
        Map<String, Float> best = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++) {
            Layer layer = model.layers().get(l);
            for (SmoothingGroup g : model.architecture().smoothingGroups(l)) {
                List<DenseLinear> fcs = g.linears().stream().map(n -> (DenseLinear) layer.linear(n)).toList();
                float[] x = groupInputs.get(g.norm());
                best.put(g.norm(), bestAlpha(x, stats.channelMax(g.linears().getFirst()), fcs, scheme));
            }
        }
        return best;
    }

    /**
     * The alpha in 0, 0.05, .., 1 whose smoothed, fake-quantized outputs of the linears fcs (sharing input x [tokens, in])
     * are closest (squared error) to their fp32 outputs; act = per-channel max|x|.
     */
    public static float bestAlpha(float[] x, float[] act, List<DenseLinear> fcs, Scheme scheme) {
        int in = act.length, tokens = x.length / in;
        float[][] ws = fcs.stream().map(DenseLinear::weight).toArray(float[][]::new);
        float[][] reference = new float[fcs.size()][];
        for (int k = 0; k < fcs.size(); k++) {
            DenseLinear fc = fcs.get(k);
            reference[k] = new float[tokens * fc.out()];
            MatMul.matmul(x, 0, tokens, fc.weight(), 0, null, in, fc.out(), reference[k], 0);
        }
        float bestAlpha = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        int steps = Math.round(1 / STEP);
        for (int i = 0; i <= steps; i++) {
            float alpha = i * STEP;
            float[] s = SmoothingFactor.compute(act, alpha, ws);
            float[] xs = x.clone();
            for (int t = 0; t < tokens; t++) for (int j = 0; j < in; j++) xs[t * in + j] /= s[j];
            Quantizer.activations(xs, tokens, in, scheme.activations(), Quantizer.absMax(xs, 0, xs.length));
            double err = 0;
            for (int k = 0; k < fcs.size(); k++) {
                DenseLinear fc = Smoother.scaleColumns(fcs.get(k), s);
                float[] wq = Quantizer.weights(fc.weight(), fc.out(), in, scheme.weights(), scheme.groupSize());
                float[] y = new float[tokens * fc.out()];
                MatMul.matmul(xs, 0, tokens, wq, 0, null, in, fc.out(), y, 0);
                for (int n = 0; n < y.length; n++) {
                    double d = y[n] - reference[k][n];
                    err += d * d;
                }
            }
            if (err < bestErr) {
                bestErr = err;
                bestAlpha = alpha;
            }
        }
        return bestAlpha;
    }
}
