package sq.bert;

import sq.kernels.MatMul;
import sq.model.DenseLinear;
import sq.model.Linear;
import sq.quant.AlphaSearch;
import sq.quant.Smoother;
import sq.quant.ActivationStats;
import sq.quant.Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothingFactor;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * SmoothQuant for post-LN encoders. The paper's groups are a LayerNorm and the linears it feeds:
 * <ul>
 * <li>{@link Group#QKV}: query/key/value of layer l, fed by the previous layer's output LayerNorm (the embeddings
 * LayerNorm for layer 0);</li>
 * <li>{@link Group#FC1}: the intermediate linear, fed by the attention output LayerNorm.</li>
 * </ul>
 * In a post-LN block that LayerNorm's output is also the residual, so folding 1/s into its weight and bias would
 * change the residual stream. Instead the weights' input columns are multiplied by s and 1/s is applied to the copy
 * of the activation that goes into the linears (a per-channel multiply fused before their activation quantizer),
 * which keeps the network's function exactly. The same mechanism can smooth inputs that no LayerNorm feeds:
 * {@link Group#O} (the attention context into the output projection) and {@link Group#FC2} (the GELU output into
 * the FFN output linear) — beyond the paper, off unless asked for.
 */
public final class BertSmoothing {
    public enum Group {
        QKV, O, FC1, FC2;

        /** The paper's LayerNorm groups. */
        public static final Set<Group> PAPER = EnumSet.of(QKV, FC1);
        public static final Set<Group> ALL = EnumSet.allOf(Group.class);
    }

    /** A smoothed model, the factor s of each group and the alpha it used, keyed by {@link #groupName}. */
    public record Result(BertModel model, Map<String, float[]> factors, Map<String, Float> alphas) {
    }

    private BertSmoothing() {
    }

    /**
     * The name of a group: the LayerNorm that feeds it for QKV and FC1 (embeddings.LayerNorm,
     * encoder.layer.N.output.LayerNorm, encoder.layer.N.attention.output.LayerNorm), the linear's name otherwise.
     */
    public static String groupName(int layer, Group g) {
        return switch (g) {
            case QKV -> layer == 0 ? "embeddings.LayerNorm" : BertModel.linearName(layer - 1, "output.LayerNorm");
            case FC1 -> BertModel.linearName(layer, "attention.output.LayerNorm");
            case O -> BertModel.linearName(layer, BertModel.O);
            case FC2 -> BertModel.linearName(layer, BertModel.FC2);
        };
    }

    /** The linears of a group in a layer. */
    static List<Linear> linears(BertLayer l, Group g) {
        return switch (g) {
            case QKV -> List.of(l.q, l.k, l.v);
            case O -> List.of(l.o);
            case FC1 -> List.of(l.fc1);
            case FC2 -> List.of(l.fc2);
        };
    }

    /** One alpha for every group. */
    public static Result smooth(BertModel model, ActivationStats stats, Set<Group> groups, float alpha) {
        return smooth(model, stats, groups, name -> alpha);
    }

    /**
     * @param stats   calibration of the unsmoothed fp32 model (act_scales)
     * @param alphaOf the alpha of each group, by {@link #groupName}
     */
    public static Result smooth(BertModel model, ActivationStats stats, Set<Group> groups, ToDoubleFunction<String> alphaOf) {
        List<BertLayer> layers = new ArrayList<>();
        Map<String, float[]> factors = new LinkedHashMap<>();
        Map<String, Float> alphas = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++) {
            BertLayer src = model.layers().get(l), dst = src.copy();
            for (Group g : Group.values()) {
                if (!groups.contains(g)) continue;
                List<DenseLinear> fcs = linears(src, g).stream().map(BertSmoothing::dense).toList();
                if (smoothOf(src, g) != null) throw new IllegalStateException(groupName(l, g) + " is already smoothed");
                String name = groupName(l, g);
                float alpha = (float) alphaOf.applyAsDouble(name);
                float[] s = SmoothingFactor.compute(stats.channelMax(fcs.getFirst().name()), alpha,
                        fcs.stream().map(DenseLinear::weight).toArray(float[][]::new));
                float[] inv = new float[s.length];
                for (int j = 0; j < s.length; j++) inv[j] = 1f / s[j];
                List<DenseLinear> scaled = fcs.stream().map(fc -> Smoother.scaleColumns(fc, s)).toList();
                switch (g) {
                    case QKV -> {
                        dst.q = scaled.get(0);
                        dst.k = scaled.get(1);
                        dst.v = scaled.get(2);
                        dst.qkvSmooth = inv;
                    }
                    case O -> {
                        dst.o = scaled.getFirst();
                        dst.oSmooth = inv;
                    }
                    case FC1 -> {
                        dst.fc1 = scaled.getFirst();
                        dst.fc1Smooth = inv;
                    }
                    case FC2 -> {
                        dst.fc2 = scaled.getFirst();
                        dst.fc2Smooth = inv;
                    }
                }
                factors.put(name, s);
                alphas.put(name, alpha);
            }
            layers.add(dst);
        }
        return new Result(model.withLayers(layers), factors, alphas);
    }

    private static float[] smoothOf(BertLayer l, Group g) {
        return switch (g) {
            case QKV -> l.qkvSmooth;
            case O -> l.oSmooth;
            case FC1 -> l.fc1Smooth;
            case FC2 -> l.fc2Smooth;
        };
    }

    static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is already quantized; smooth the fp32 model first");
    }

    // ---- per-group automatic alpha ----

    /**
     * Per group, the alpha in 0..1 (step 0.05) whose fake-quantized group outputs are closest (squared error) to the
     * fp32 outputs on up to maxTokens calibration tokens (the idea of sq.quant.AlphaSearch, on this model's groups).
     */
    public static Map<String, Float> searchAlphas(BertModel model, ActivationStats stats, List<int[]> sentences, int maxTokens,
                                                  Scheme scheme, Set<Group> groups) {
        Map<String, float[]> inputs = groupInputs(model, sentences, maxTokens, groups);
        Map<String, Float> best = new LinkedHashMap<>();
        for (int l = 0; l < model.layers().size(); l++) {
            BertLayer layer = model.layers().get(l);
            for (Group g : Group.values()) {
                if (!groups.contains(g)) continue;
                List<DenseLinear> fcs = linears(layer, g).stream().map(BertSmoothing::dense).toList();
                String first = fcs.getFirst().name();
                best.put(groupName(l, g), AlphaSearch.bestAlpha(inputs.get(first), stats.channelMax(first), fcs, scheme));
            }
        }
        return best;
    }

    /** The fp32 inputs [tokens, in] of the first linear of each group, keyed by that linear's name. */
    static Map<String, float[]> groupInputs(BertModel model, List<int[]> sentences, int maxTokens, Set<Group> groups) {
        Map<String, Integer> wanted = new LinkedHashMap<>();
        for (BertLayer l : model.layers())
            for (Group g : groups) wanted.put(linears(l, g).getFirst().name(), linears(l, g).getFirst().in());
        Map<String, float[]> buf = new LinkedHashMap<>();
        int[] filled = {0};
        int total = 0;
        List<int[]> used = new ArrayList<>();
        for (int[] s : sentences) {
            if (total >= maxTokens) break;
            used.add(s);
            total += s.length;
        }
        int tokens = total;
        BertEncoder enc = new BertEncoder(model, Pooling.CLS);
        enc.setObserver((linear, x, y, T) -> {
            Integer in = wanted.get(linear.name());
            if (in == null) return;
            float[] all = buf.computeIfAbsent(linear.name(), k -> new float[tokens * in]);
            System.arraycopy(x, 0, all, filled[0] * in, T * in);
        });
        for (int[] s : used) {
            enc.hidden(s);
            filled[0] += s.length;
        }
        return buf;
    }

}
