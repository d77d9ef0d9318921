package sq.eval;

import sq.model.Model;
import sq.model.SmoothingGroup;
import sq.model.Transformer;
import sq.quant.ActivationStats;
import sq.quant.AlphaSearch;
import sq.quant.AlphaSpec;
import sq.quant.Calibrator;
import sq.quant.FakeQuantizer;
import sq.quant.MoeSmoothing;
import sq.quant.Scheme;
import sq.quant.SmoothAttention;
import sq.quant.Smoother;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The paper's comparison table: FP32; naive W8A8 (no smoothing) and SmoothQuant (each alpha, and auto) under each
 * scheme; the ZeroQuant-style and LLM.int8()-style baselines. Every quantized row is fake-quantized (simulated int8).
 */
public final class EvalTable {
    /**
     * @param alpha  a Float, "auto", or null (no smoothing)
     * @param note   e.g. the share of channels kept in FP by LLM.int8(), or the chosen alphas
     */
    public record Row(String method, Object alpha, String scheme, String weights, String activations, Boolean bmm, double ppl, String note,
                      Map<String, Float> groupAlphas) implements java.io.Serializable { // sent back by a distributed part (sq.distributed)
        /** A row without per-group alphas. */
        public Row(String method, Object alpha, String scheme, String weights, String activations, Boolean bmm, double ppl, String note) {
            this(method, alpha, scheme, weights, activations, bmm, ppl, note, null);
        }
    }

    /**
     * How a row's model is scored on the evaluation windows: by default its perplexity; a part of a distributed run
     * (sq.distributed.DistributedEval) records its windows' log-probabilities instead, for the driver to sum.
     */
    @FunctionalInterface
    public interface Evaluator {
        Evaluator PERPLEXITY = (model, eval) -> Perplexity.evaluate(model, eval, w -> { });

        Perplexity.Result evaluate(Transformer model, Windows eval);
    }

    /** What to run: alphas (and auto), schemes, whether to add the baselines, calibration tokens for the alpha search. */
    public record Options(AlphaSpec alphas, List<Scheme> schemes, boolean baselines, int autoTokens) {
    }

    private final Model fp32;
    private final ActivationStats stats;
    private final Windows calib, eval;
    private final Consumer<String> log;
    private IntConsumer progress = n -> { };
    private List<MoeSmoothing.Policy> moePolicies = MoeSmoothing.ALL;
    private SmoothingGroup.Groups groups = SmoothingGroup.Groups.REFERENCE;
    private Evaluator evaluator = Evaluator.PERPLEXITY;
    private Float attentionAlpha;
    private int evaluated;

    public EvalTable(Model fp32, ActivationStats stats, Windows calib, Windows eval, Consumer<String> log) {
        this.fp32 = fp32;
        this.stats = stats;
        this.calib = calib;
        this.eval = eval;
        this.log = log;
    }

    /** Gets the number of perplexity evaluations done so far (of {@link #rowCount}). */
    public EvalTable onProgress(IntConsumer progress) {
        this.progress = progress;
        return this;
    }

    /** A mixture of experts' smoothing policies, one row each per alpha and scheme (default: all three). */
    public EvalTable moePolicies(List<MoeSmoothing.Policy> policies) {
        this.moePolicies = List.copyOf(policies);
        return this;
    }

    /**
     * Which smoothing groups the smoothquant rows fold (default: the reference's); the extended ones are for dense
     * models: a mixture of experts keeps its policies' groups.
     */
    public EvalTable smoothingGroups(SmoothingGroup.Groups groups) {
        this.groups = groups;
        return this;
    }

    /** How each row is scored (default {@link Evaluator#PERPLEXITY}). */
    public EvalTable evaluator(Evaluator evaluator) {
        this.evaluator = evaluator;
        return this;
    }

    /** SmoothAttention (QServe) with this alpha on top of the smoothquant rows' smoothing; null (the default): none. */
    public EvalTable smoothAttention(Float alpha) {
        this.attentionAlpha = alpha;
        return this;
    }

    /** How many rows (perplexity evaluations) {@link #run} produces for these options (a dense model). */
    public static int rowCount(Options o) {
        return rowCount(o, 1);
    }

    /** The same with policies rows per alpha and scheme (a mixture of experts). */
    public static int rowCount(Options o, int policies) {
        int perScheme = 1 + policies * o.alphas().values().size() + (o.alphas().auto() ? 1 : 0);
        return 1 + o.schemes().size() * perScheme + (o.baselines() ? 2 : 0);
    }

    public List<Row> run(Options o) {
        List<Row> rows = new ArrayList<>();
        rows.add(row("fp32", null, null, fp32, ""));
        boolean needsStatic = o.schemes().stream().anyMatch(s -> s.activations() == sq.quant.ActivationGranularity.PER_TENSOR_STATIC);
        for (Scheme s : o.schemes()) rows.add(row("naive", null, s, FakeQuantizer.quantize(fp32, s, stats), ""));
        // an architecture without a norm in front of its linears: smoothing is an identity, and the row says so
        String unsmoothed = fp32.architecture().smoothingNote() == null ? "" : "not smoothed: " + fp32.architecture().smoothingNote();
        boolean moe = MoeSmoothing.applies(fp32);
        for (float alpha : o.alphas().values())
            for (MoeSmoothing.Policy p : moe ? moePolicies : List.of(MoeSmoothing.DEFAULT)) {
                Model smoothed = moe ? MoeSmoothing.smooth(fp32, stats, alpha, p).model() : Smoother.smooth(fp32, stats, g -> alpha, groups).model();
                String note = moe ? "moe-smoothing " + p.cliName() : groups == SmoothingGroup.Groups.REFERENCE ? unsmoothed
                        : (unsmoothed.isEmpty() ? "" : unsmoothed + "; ") + "smoothing groups " + groups.cliName();
                StringBuilder attention = new StringBuilder();
                smoothed = withSmoothAttention(smoothed, attention);
                note = note.isEmpty() || attention.isEmpty() ? note + attention : note + "; " + attention;
                ActivationStats smoothedStats = needsStatic ? calibrate(smoothed) : stats;
                for (Scheme s : o.schemes()) rows.add(row("smoothquant", alpha, s, FakeQuantizer.quantize(smoothed, s, smoothedStats), note));
            }
        if (o.alphas().auto()) {
            log.accept("collecting smoothing-group inputs for the alpha search");
            Map<String, float[]> inputs = AlphaSearch.collectGroupInputs(fp32, calib, o.autoTokens());
            for (Scheme s : o.schemes()) {
                Map<String, Float> chosen = AlphaSearch.search(fp32, stats, inputs, s);
                StringBuilder attention = new StringBuilder();
                Model smoothed = withSmoothAttention(Smoother.smooth(fp32, stats, g -> chosen.get(g.norm())).model(), attention);
                ActivationStats smoothedStats = s.activations() == sq.quant.ActivationGranularity.PER_TENSOR_STATIC ? calibrate(smoothed) : stats;
                Row r = row("smoothquant", "auto", s, FakeQuantizer.quantize(smoothed, s, smoothedStats), "alphas " + summarize(chosen)
                        + (moe ? "; experts not smoothed (the search covers the attention groups)" : "") + (attention.isEmpty() ? "" : "; " + attention));
                rows.add(new Row(r.method(), r.alpha(), r.scheme(), r.weights(), r.activations(), r.bmm(), r.ppl(), r.note(), chosen));
            }
        }
        if (o.baselines()) {
            Scheme zq = Scheme.zeroQuant(128);
            rows.add(row("zeroquant", null, zq, FakeQuantizer.quantize(fp32, zq, stats), "group size 128"));
            FakeQuantizer.MixedResult mixed = FakeQuantizer.llmInt8(fp32, stats);
            rows.add(new Row("llm.int8", null, "llm.int8", "per_channel", "per_token", false, ppl("llm.int8", mixed.model()),
                    String.format("%.2f%% of input channels kept in FP (max|x| > %.1f)", 100 * mixed.fpChannelShare(), FakeQuantizer.LLM_INT8_THRESHOLD), null));
        }
        return rows;
    }

    /** smoothed with SmoothAttention where asked for (on the fp32 model's statistics of q/k); note gets what was done. */
    private Model withSmoothAttention(Model smoothed, StringBuilder note) {
        if (attentionAlpha == null) return smoothed;
        SmoothAttention.Result r = SmoothAttention.smooth(smoothed, stats, attentionAlpha);
        note.append(String.format(java.util.Locale.ROOT, "smooth attention a=%.2f", attentionAlpha));
        if (!r.skipped().isEmpty())
            note.append(String.format(java.util.Locale.ROOT, " (%d of %d layers skipped: %s)", r.skipped().size(), smoothed.layers().size(), r.skipped().values().iterator().next()));
        return r.model();
    }

    private ActivationStats calibrate(Model m) {
        return Calibrator.calibrate(m, calib, w -> { });
    }

    private Row row(String method, Object alpha, Scheme s, Model m, String note) {
        String label = method + (alpha == null ? "" : " a=" + alpha) + (s == null ? "" : " " + s.name());
        return new Row(method, alpha, s == null ? null : s.name(), s == null ? null : s.weights().id, s == null ? null : s.activations().id,
                s == null ? null : s.bmm(), ppl(label, m), note, null);
    }

    private double ppl(String label, Model m) {
        Perplexity.Result r = evaluator.evaluate(new Transformer(m), eval);
        log.accept(String.format("%-32s ppl %.4f (%.1f s)", label, r.ppl(), r.seconds()));
        progress.accept(++evaluated);
        return r.ppl();
    }

    /** "min..max (mean)" of the chosen alphas. */
    static String summarize(Map<String, Float> alphas) {
        double min = 1, max = 0, sum = 0;
        for (float a : alphas.values()) {
            min = Math.min(min, a);
            max = Math.max(max, a);
            sum += a;
        }
        return String.format("%.2f..%.2f (mean %.2f over %d groups)", min, max, sum / alphas.size(), alphas.size());
    }
}
