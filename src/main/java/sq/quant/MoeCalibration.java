package sq.quant;

import sq.model.Layer;
import sq.model.Model;
import sq.model.Moe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration of the experts: each expert's linears see only the tokens routed to it, so each has its own act_scales
 * and token count. An expert that saw fewer than {@link #MIN_TOKENS} calibration tokens is named and falls back to one
 * stated rule:
 * <ul>
 *   <li>gate/up input (act_scales, per-expert smoothing, static scale): the mixture's input over ALL tokens, i.e. the
 *       router's statistics (the same norm output every expert reads; what the reference policy uses for all);</li>
 *   <li>down input (static scales only): the channel-wise max over the layer's experts that did see enough tokens
 *       (an expert's hidden units have no shared proxy; the widest range seen in the layer does not clip).</li>
 * </ul>
 */
public final class MoeCalibration {
    /** Fewer calibration tokens than this and an expert's own max|x| is not trusted. */
    public static final int MIN_TOKENS = 8;

    private MoeCalibration() {
    }

    /** An expert's calibration: the tokens routed to it. */
    public record ExpertCount(int layer, int expert, long tokens) {
        public boolean few() {
            return tokens >= 0 && tokens < MIN_TOKENS;
        }
    }

    /** Token counts of every expert of every MoE layer (-1 where the statistics carry no counts). */
    public static List<ExpertCount> counts(Model model, ActivationStats stats) {
        List<ExpertCount> c = new ArrayList<>();
        for (int l = 0; l < model.layers().size(); l++) {
            Moe m = model.layers().get(l).moe;
            if (m == null) continue;
            for (int e = 0; e < m.experts(); e++) c.add(new ExpertCount(l, e, stats.tokens(m.gate[e].name())));
        }
        return c;
    }

    /**
     * One line per MoE layer with its experts' token counts, and one per expert below {@link #MIN_TOKENS} naming the
     * rule applied; empty for a dense model.
     */
    public static List<String> report(Model model, ActivationStats stats) {
        List<String> lines = new ArrayList<>();
        Map<Integer, StringBuilder> perLayer = new LinkedHashMap<>();
        List<String> few = new ArrayList<>();
        for (ExpertCount c : counts(model, stats)) {
            perLayer.computeIfAbsent(c.layer(), k -> new StringBuilder()).append(' ').append(c.tokens());
            if (c.few())
                few.add("layer " + c.layer() + " expert " + c.expert() + " saw " + c.tokens() + " calibration tokens (< " + MIN_TOKENS
                        + "): its gate/up take the router's act_scales (all tokens), its down the layer's widest expert range");
        }
        perLayer.forEach((l, s) -> lines.add("layer " + l + " tokens per expert:" + s));
        lines.addAll(few);
        return lines;
    }

    /** The act_scales of an expert's gate/up input under the rule: its own, or the router's where it saw too few tokens. */
    static float[] expertInput(ActivationStats stats, Moe m, int e) {
        String gate = m.gate[e].name();
        return few(stats, gate) ? stats.channelMax(m.router.name()) : stats.channelMax(gate);
    }

    /** Statistics with entries added or replaced by the rule for every expert that saw too few tokens. */
    public static ActivationStats withFallbacks(Model model, ActivationStats stats) {
        Map<String, ActivationStats.Entry> entries = new LinkedHashMap<>(stats.entries());
        Map<String, Long> tokens = new LinkedHashMap<>();
        boolean changed = false;
        for (Layer layer : model.layers()) {
            Moe m = layer.moe;
            if (m == null) continue;
            float[] down = null;
            for (int e = 0; e < m.experts(); e++)
                if (!few(stats, m.gate[e].name()) && stats.has(m.down[e].name())) down = max(down, stats.channelMax(m.down[e].name()));
            for (int e = 0; e < m.experts(); e++) {
                if (!few(stats, m.gate[e].name())) continue;
                changed = true;
                ActivationStats.Entry in = stats.get(m.router.name());
                entries.put(m.gate[e].name(), new ActivationStats.Entry(in.channelMax(), in.inputMax(), Float.NaN));
                entries.put(m.up[e].name(), new ActivationStats.Entry(in.channelMax(), in.inputMax(), Float.NaN));
                float[] d = down != null ? down : new float[m.down[e].in()];
                entries.put(m.down[e].name(), new ActivationStats.Entry(d, ActivationStats.max(d), Float.NaN));
            }
        }
        if (!changed) return stats;
        for (String k : entries.keySet()) if (stats.tokens(k) >= 0) tokens.put(k, stats.tokens(k));
        return new ActivationStats(entries, tokens);
    }

    private static boolean few(ActivationStats stats, String gate) {
        long n = stats.tokens(gate);
        return !stats.has(gate) || (n >= 0 && n < MIN_TOKENS);
    }

    private static float[] max(float[] a, float[] b) {
        if (a == null) return b.clone();
        for (int j = 0; j < a.length; j++) a[j] = Math.max(a[j], b[j]);
        return a;
    }
}
