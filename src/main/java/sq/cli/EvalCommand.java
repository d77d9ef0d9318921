package sq.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.distributed.DistributedEval;
import sq.eval.EvalTable;
import sq.eval.Windows;
import sq.inspect.OutlierTwin;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.io.Json;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.model.SmoothingGroup;
import sq.quant.MoeSmoothing;
import sq.quant.Scheme;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"The SmoothQuant comparison table: perplexity of FP32, naive W8A8, SmoothQuant (each alpha, and a "
                + "per-group automatic alpha) under each scheme, and the ZeroQuant- and LLM.int8()-style baselines.",
                "Quantized rows are simulated (fake-quantized) int8. Calibration: --calib windows; evaluation: --text windows."})
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CalibrationOptions calibration;
    @Mixin
    CommonOptions common;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "Evaluation text (UTF-8).")
    Path text;

    @Option(names = "--window", defaultValue = "256", description = "Tokens per evaluation window (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--windows", defaultValue = "40", description = "Evaluation windows (default: ${DEFAULT-VALUE}).")
    int windows;

    @Option(names = "--alpha", defaultValue = "0.5,0.85,auto", paramLabel = "SPEC",
            description = "Migration strengths: values (0.5,0.85), a sweep (0:1:0.1) and/or auto (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--schemes", defaultValue = "O1,O2,O3,w8a8", split = ",", paramLabel = "LIST",
            description = "Schemes to evaluate (default: ${DEFAULT-VALUE}); see ./sq schemes.")
    List<String> schemes;

    @Option(names = "--baselines", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Add the ZeroQuant- and LLM.int8()-style rows (default: ${DEFAULT-VALUE}).")
    boolean baselines;

    @Option(names = "--act-scales", paramLabel = "FILE",
            description = "Use saved calibration statistics (from ./sq calibrate) instead of calibrating.")
    Path actScales;

    @Option(names = "--outlier-twin", split = ",", paramLabel = "CHANNELS",
            description = {"Evaluate the model's outlier twin, built in memory: these hidden channels of every layer's "
                    + "attention-input norm x32 and MLP-input norm x16, the input columns they feed (q/k/v; gate/up, or "
                    + "a mixture's router and every expert's gate/up) divided by the same powers of two, so the fp32 "
                    + "function is unchanged bit for bit (the fixtures' llama-8m-outliers recipe), e.g. 31,78,110."})
    List<Integer> outlierTwin;

    @Option(names = "--smooth-groups", defaultValue = "reference", paramLabel = "SET",
            description = "Smoothing groups of the smoothquant rows: reference (the paper's: input norm -> q/k/v and -> gate/up, "
                    + "as smooth.py) or extended (also the exact v_proj -> o_proj and up_proj -> down_proj of llm-compressor and AWQ; "
                    + "dense models). Default: ${DEFAULT-VALUE}.")
    String smoothGroups;

    @Option(names = "--smooth-attention", paramLabel = "ALPHA",
            description = {"Add SmoothAttention (QServe, Lin et al. 2024) to the smoothquant rows: a factor per channel of the "
                    + "head dimension, lambda = max|K|^a / max|Q|^(1-a) (a = ALPHA in [0, 1]; 0.5 makes max|K/lambda| = max|Q lambda|, "
                    + "the demo takes 0.75), divides k_proj's output rows and multiplies q_proj's: an exact identity of Q.K^T that "
                    + "moves K's outlier channels into Q before both are quantized for the int8 BMM. One factor for the query heads "
                    + "of a kv head and for the two channels of each RoPE pair; layers with q/k norms or a fused q/k/v projection "
                    + "are left alone (the row's note says so). Default: off."})
    Float smoothAttention;

    @Option(names = "--json", description = "Print a JSON array of rows {method, alpha, weights, activations, bmm, ppl}.")
    boolean json;

    @Option(names = "--csv", description = "Print CSV.")
    boolean csv;

    @Mixin
    SparkOption spark;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        common.apply();
        if (json && csv) throw new InputException("give --json or --csv, not both");
        List<EvalTable.Row> rows = spark.given() ? sparkRows() : rows(0, windows, EvalTable.Evaluator.PERPLEXITY);
        if (json) System.out.println(toJson(rows).toPrettyString());
        else if (csv) printCsv(rows);
        else printTable(rows);
        return 0;
    }

    /** The table over evaluation windows [from, from + count), each row scored by evaluator. */
    private List<EvalTable.Row> rows(int from, int count, EvalTable.Evaluator evaluator) {
        SmoothingGroup.Groups groups = smoothingGroups();
        checkSmoothAttention();
        AlphaSpec alphas = AlphaSpec.parse(alpha);
        List<Scheme> schemeList = schemes.stream().map(Scheme::parse).toList();
        MemoryGate.expect(Math.max(window, calibration.calibWindow), Math.max(window, calibration.calibWindow), 1, "--window", false);
        LoadedModel m = modelOptions.load().requireFloat();
        if (outlierTwin != null) m = twin(m, outlierTwin);
        Windows calib = calibration.windows(m.tokenizer());
        Windows eval = Windows.of(m.tokenizer().encode(TextFiles.read(text)), window, from, count, text.toString());
        ActivationStats stats = actScales != null ? ActivationStats.load(actScales) : CalibrationOptions.calibrate(LayerSource.of(m.model()), calib);
        if (groups == SmoothingGroup.Groups.EXTENDED && MoeSmoothing.applies(m.model()))
            throw new InputException("--smooth-groups extended: for dense models; a mixture of experts takes --moe-smoothing");
        return runTable(m, stats, calib, eval, new EvalTable.Options(alphas, schemeList, baselines, 4096),
                calibration.moePolicies(true), groups, smoothAttention, evaluator, common.quiet);
    }

    private void checkSmoothAttention() {
        if (smoothAttention != null && !(smoothAttention >= 0 && smoothAttention <= 1))
            throw new InputException("--smooth-attention " + smoothAttention + ": give an alpha in [0, 1]");
    }

    private SmoothingGroup.Groups smoothingGroups() {
        return switch (smoothGroups) {
            case "reference" -> SmoothingGroup.Groups.REFERENCE;
            case "extended" -> SmoothingGroup.Groups.EXTENDED;
            default -> throw new InputException("--smooth-groups " + smoothGroups + ": give reference or extended");
        };
    }

    /**
     * --spark: the evaluation windows split over the partitions, each builds the table and scores its windows; the
     * rows' log-probabilities summed here in window order (sq.distributed.DistributedEval), the same doubles.
     */
    private List<EvalTable.Row> sparkRows() {
        // the options checked here, before any executor starts
        smoothingGroups();
        checkSmoothAttention();
        AlphaSpec.parse(alpha);
        schemes.forEach(Scheme::parse);
        String[] args = SparkOption.argsWithoutSpark(spec);
        long modelBytes = PplCommand.pathBytes(modelOptions.model);
        // fixed: three float models at once (fp32, smoothed, fake-quantized), each at most twice the file (bf16 -> fp32);
        // per window its logits [T, vocab] in float
        return DistributedEval.merge(spark.run("sq eval", windows, 6 * modelBytes, (long) window * 4 * 32_000,
                (from, to) -> partOf(args, from, to)));
    }

    /** On an executor: the table with its rows' log-probabilities on evaluation windows [from, to). */
    static DistributedEval.Part partOf(String[] args, int from, int to) {
        EvalCommand c = new EvalCommand();
        new picocli.CommandLine(c).parseArgs(args);
        c.common.quiet = true;
        DistributedEval.Recorder recorder = new DistributedEval.Recorder();
        return recorder.part(c.rows(from, to - from, recorder));
    }

    private LoadedModel twin(LoadedModel m, List<Integer> channels) {
        OutlierTwin t;
        try {
            t = OutlierTwin.of(m.model(), channels.stream().mapToInt(Integer::intValue).toArray(), 32f, 16f);
        } catch (IllegalArgumentException e) {
            throw new InputException("--outlier-twin: " + e.getMessage());
        }
        if (!common.quiet) System.err.println("sq: outlier twin: " + t.describe());
        return new LoadedModel(m.path(), t.model(), m.tokenizer(), false);
    }

    /** Runs the table with a progress bar on a terminal, one log line per row otherwise (not both). */
    /** policies: a mixture of experts' smoothing policies, each its own rows; smoothAttention: its alpha, or null for none. */
    static List<EvalTable.Row> runTable(LoadedModel m, ActivationStats stats, Windows calib, Windows eval, EvalTable.Options o,
                                        List<MoeSmoothing.Policy> policies, SmoothingGroup.Groups groups, Float smoothAttention,
                                        EvalTable.Evaluator evaluator, boolean quiet) {
        try (Progress p = new Progress("eval", EvalTable.rowCount(o, MoeSmoothing.applies(m.model()) ? policies.size() : 1))) {
            boolean lines = !quiet && !p.isLive();
            return new EvalTable(m.model(), stats, calib, eval, lines ? s -> System.err.println("sq: " + s) : s -> { })
                    .moePolicies(policies).smoothingGroups(groups).smoothAttention(smoothAttention).evaluator(evaluator)
                    .onProgress(quiet || lines ? n -> { } : p::stepTo).run(o);
        }
    }

    static ArrayNode toJson(List<EvalTable.Row> rows) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (EvalTable.Row r : rows) {
            ObjectNode o = a.addObject();
            o.put("method", r.method());
            if (r.alpha() instanceof Float f) o.put("alpha", Math.round(f * 1e6) / 1e6);
            else if (r.alpha() != null) o.put("alpha", r.alpha().toString());
            else o.putNull("alpha");
            o.put("scheme", r.scheme()).put("weights", r.weights()).put("activations", r.activations());
            if (r.bmm() == null) o.putNull("bmm");
            else o.put("bmm", r.bmm());
            o.put("ppl", r.ppl());
            if (!r.note().isEmpty()) o.put("note", r.note());
            if (r.groupAlphas() != null) {
                ObjectNode g = o.putObject("group_alphas");
                r.groupAlphas().forEach(g::put);
            }
        }
        return a;
    }

    private static void printCsv(List<EvalTable.Row> rows) {
        System.out.println("method,alpha,scheme,weights,activations,bmm,ppl,note");
        for (EvalTable.Row r : rows)
            System.out.printf("%s,%s,%s,%s,%s,%s,%.6f,\"%s\"%n", r.method(), str(r.alpha()), str(r.scheme()), str(r.weights()),
                    str(r.activations()), str(r.bmm()), r.ppl(), r.note().replace("\"", "'"));
    }

    static void printTable(List<EvalTable.Row> rows) {
        double fp = rows.getFirst().ppl();
        Map<String, Double> best = new HashMap<>();
        for (EvalTable.Row r : rows)
            if (r.scheme() != null) best.merge(r.scheme(), r.ppl(), Math::min);
        System.out.printf("%-12s %-6s %-9s %-12s %-19s %-5s %10s %8s  %s%n", "method", "alpha", "scheme", "weights", "activations", "bmm",
                "ppl", "vs fp32", "");
        for (EvalTable.Row r : rows) {
            boolean isBest = r.scheme() != null && best.get(r.scheme()) == r.ppl() && rows.stream().filter(x -> r.scheme().equals(x.scheme())).count() > 1;
            String alphaText = r.alpha() instanceof Float f ? String.format("%.2f", f) : str(r.alpha());
            System.out.printf("%-12s %-6s %-9s %-12s %-19s %-5s %10.4f %+7.2f%% %s %s%n", r.method(), alphaText, str(r.scheme()),
                    str(r.weights()), str(r.activations()), str(r.bmm()), r.ppl(), 100 * (r.ppl() / fp - 1), isBest ? "*" : " ", r.note());
        }
        System.out.println("* best row of its scheme");
    }

    private static String str(Object o) {
        return o == null ? "-" : o.toString();
    }
}
