package sq.quant;

import sq.io.InputException;
import sq.model.Block;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.LayerNames;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SmoothAttention (QServe, Lin et al., arXiv 2405.04532, section 4.2): SmoothQuant's migration applied to the first
 * attention BMM. Q.K^T = (Q diag(lambda)) (K diag(lambda)^-1)^T, so a factor per channel of the head dimension moves
 * K's outlier channels into Q, exactly, folded offline into the projections: k_proj's output rows (and bias) divided by
 * lambda, q_proj's multiplied by it.
 * <pre>
 *   lambda_j = max(max|K_j|^alpha / max|Q_j|^(1 - alpha), 1e-5)
 * </pre>
 * per row j of k_proj (kv head, channel), where max|Q_j| is over the query heads that read that kv head (grouped-query
 * attention: they all meet K_j, so they take the same factor), and under RoPE over the rotation pair (i, i + r/2) of
 * both (a rotation mixes the pair's two channels: only a factor common to both commutes with it). QServe keeps Q in
 * 16 bits and takes max|K_j|^alpha alone; here Q is quantized too (the int8 BMM inputs of the paper's presets), so the
 * factor balances the two as SmoothQuant's s_j balances activations and weights (alpha 0.5: max|K_j / lambda_j| =
 * max|Q_j lambda_j|).
 * <p>
 * The maxima are those of the projections' outputs in calibration (before RoPE), where the simulated BMM inputs are
 * quantized ({@link FakeQuantLinear}); with the pair shared, max over the pair before RoPE bounds the pair after it
 * within sqrt(2). A layer where the identity does not hold this way is left alone, with the reason ({@link #refusal}).
 */
public final class SmoothAttention {
    /**
     * @param factors lambda per layer [kvHeads * headDim] (one per row of k_proj), keyed by k_proj's name
     * @param skipped why a layer was left alone, keyed by its k_proj's (or fused projection's) name
     */
    public record Result(Model model, Map<String, float[]> factors, Map<String, String> skipped) {
    }

    private SmoothAttention() {
    }

    /**
     * model with every layer that allows it smoothed; stats: its calibration, or that of the model before SmoothQuant's
     * smoothing groups (they scale the projections' inputs, not their outputs). Returns a new model; model is unchanged.
     */
    public static Result smooth(Model model, ActivationStats stats, float alpha) {
        ModelConfig cfg = model.config();
        List<Layer> layers = new ArrayList<>();
        Map<String, float[]> factors = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++) {
            String why = refusal(cfg, l);
            LayerNames n = cfg.architecture().layer(l);
            if (why != null) {
                skipped.put(n.k() != null ? n.k() : n.qkv(), why);
                layers.add(model.layers().get(l));
            } else layers.add(smoothLayer(cfg, l, model.layers().get(l), stats, alpha, factors));
        }
        return new Result(model.withLayers(layers), factors, skipped);
    }

    /** Why layer l cannot take the factor as folded here, or null where it can. */
    public static String refusal(ModelConfig cfg, int l) {
        LayerNames n = cfg.architecture().layer(l);
        if (n.qkv() != null) return "fused q/k/v projection: its row layout is not handled";
        if (n.q() == null || n.k() == null) return "no separate q and k projections";
        if (cfg.block().qkNorm() != Block.QkNorm.NONE)
            return "q/k norms after the projections: the norm would undo a factor on the projections' rows";
        return null;
    }

    /** Layer l with q_proj's rows times lambda and k_proj's divided by it (a new layer; src unchanged); lambda goes into factors. */
    static Layer smoothLayer(ModelConfig cfg, int l, Layer src, ActivationStats stats, float alpha, Map<String, float[]> factors) {
        LayerNames n = cfg.architecture().layer(l);
        int headsPerKv = cfg.heads() / cfg.kvHeads();
        float[] lambda = factors(outputChannels(stats, n.q(), cfg.heads() * cfg.headDim()), outputChannels(stats, n.k(), cfg.kvHeads() * cfg.headDim()),
                alpha, cfg.headDim(), headsPerKv, cfg.block().ropeAt(l) ? cfg.block().rotaryDim() : 0);
        float[] perQRow = new float[cfg.heads() * cfg.headDim()], perKRow = new float[lambda.length];
        for (int j = 0; j < perQRow.length; j++) perQRow[j] = lambda[SmoothingFactor.kvRow(j, cfg.headDim(), headsPerKv)];
        for (int j = 0; j < perKRow.length; j++) perKRow[j] = 1 / lambda[j];
        DenseLinear q = scaleRows(dense(src.linear(n.q())), perQRow), k = scaleRows(dense(src.linear(n.k())), perKRow);
        factors.put(n.k(), lambda);
        return src.map(x -> x, x -> x.name().equals(n.q()) ? q : x.name().equals(n.k()) ? k : x);
    }

    /**
     * lambda per row of k_proj [kvHeads * headDim].
     *
     * @param qMax      per output channel max|q| [heads * headDim]
     * @param kMax      per output channel max|k| [kvHeads * headDim]
     * @param rotaryDim the leading dims of each head that RoPE rotates in pairs (i, i + rotaryDim / 2); 0 without RoPE
     */
    public static float[] factors(float[] qMax, float[] kMax, float alpha, int headDim, int headsPerKv, int rotaryDim) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        int kvWidth = kMax.length, half = rotaryDim / 2;
        if (qMax.length != kvWidth * headsPerKv) throw new IllegalArgumentException("q width " + qMax.length + " is not " + headsPerKv + " x k width " + kvWidth);
        // the query heads of each kv head together
        float[] q = new float[kvWidth];
        for (int j = 0; j < qMax.length; j++) {
            int r = SmoothingFactor.kvRow(j, headDim, headsPerKv);
            q[r] = Math.max(q[r], qMax[j]);
        }
        float[] k = kMax.clone();
        // each rotation pair together
        for (int base = 0; base < kvWidth; base += headDim)
            for (int i = 0; i < half; i++) {
                int a = base + i, b = base + i + half;
                q[a] = q[b] = Math.max(q[a], q[b]);
                k[a] = k[b] = Math.max(k[a], k[b]);
            }
        float[] lambda = new float[kvWidth];
        for (int j = 0; j < kvWidth; j++)
            lambda[j] = Math.max((float) Math.pow(Math.max(k[j], SmoothingFactor.MIN), alpha)
                    / (float) Math.pow(Math.max(q[j], SmoothingFactor.MIN), 1 - alpha), SmoothingFactor.MIN);
        return lambda;
    }

    private static float[] outputChannels(ActivationStats stats, String linear, int width) {
        float[] m = stats.get(linear).outputChannelMax();
        if (m == null)
            throw new InputException("calibration statistics lack the per-channel output max of " + linear
                    + " (needed by smooth attention; recalibrate: statistics saved before it was recorded do not have it)");
        if (m.length != width) throw new InputException("calibration statistics of " + linear + ": " + m.length + " output channels, the model has " + width);
        return m;
    }

    /** fc [out, in] with row r and its bias multiplied by f[r] (a new linear). */
    private static DenseLinear scaleRows(DenseLinear fc, float[] f) {
        float[] w = fc.weight().clone();
        float[] b = fc.bias() == null ? null : fc.bias().clone();
        int in = fc.in();
        for (int r = 0; r < fc.out(); r++) {
            for (int j = 0; j < in; j++) w[r * in + j] *= f[r];
            if (b != null) b[r] *= f[r];
        }
        return new DenseLinear(fc.name(), w, b, in, fc.out());
    }

    private static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is already quantized; smooth the fp32 model first");
    }
}
