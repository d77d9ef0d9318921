package sq.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Bench;
import sq.eval.Windows;
import sq.inspect.Inspector;
import sq.inspect.OutlierReport;
import sq.inspect.Sweep;
import sq.io.AtomicOutput;
import sq.io.InputException;
import sq.io.Json;
import sq.kernels.Parallel;
import sq.model.Generator;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Quantizer;
import sq.quant.Scheme;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The paper's story on one screen: naive W8A8 vs SmoothQuant on stories260K and its outlier twin, then the int8 engine.",
                "The bundled stories260K (karpathy/llama2.c, MIT) and its outlier twin, built in memory: "
                + "the same model with a few hidden channels of every norm gain multiplied by a power of two and the matching "
                + "weight columns divided by it (the same function bit for bit in fp32, but with the activation outliers of "
                + "real LLMs). Prints the perplexity of fp32, naive W8A8 and SmoothQuant W8A8 (alpha 0.75; the paper's groups, the exact v_proj -> o_proj, up_proj -> down_proj, and SmoothAttention "
                + "on q_proj/k_proj, alpha 0.75) under O1/O2/O3/w8a8 "
                + "for both, the outliers of one layer before and after smoothing, writes the inspect page of the twin, then "
                + "runs one greedy story in fp32 and in SmoothQuant W8A8 on the int8 engine (tokens/s and model size of both).",
                "Calibration: windows 100..115 of the bundled TinyStories text; evaluation: windows 0..39 (the fixtures' protocol; see --windows).",
                "Threads: by default every kernel runs on one thread and the two models are evaluated at once, one per core (a model "
                        + "this small does not gain from splitting a matrix product); with --threads N one after the other on N threads."})
final class DemoCommand implements Callable<Integer> {
    static final String PROMPT = "Once upon a time";
    static final int STORY_TOKENS = 56;
    static final int TIMED_RUNS = 3;
    static final int CALIB_FIRST = 100;
    static final double WARMUP_SECONDS = 0.5;

    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "Print one JSON object (original, twin, engine, seconds, ...) instead of the tables and stories.")
    boolean json;

    @Option(names = "--inspect-out", paramLabel = "DIR",
            description = "Folder for the twin's inspect page (new or empty; default: target/demo-inspect in the project, replaced on each run).")
    Path inspectOut;

    @Option(names = "--windows", defaultValue = "40", paramLabel = "N",
            description = "Evaluation windows of 256 tokens, 0..N-1 (default: ${DEFAULT-VALUE}, the fixtures' protocol; fewer for a quicker run).")
    int windows;

    /** One engine's greedy story, its decode speed and its model's bytes. */
    record Story(String text, int generated, double tokensPerSecond, long modelBytes) {
    }

    @Override
    public Integer call() throws Exception {
        // this model is too small for kernels split over threads (a hand-off costs more than the work): by default
        // each kernel runs on one thread and the original and the twin are evaluated at once, one per core
        boolean concurrent = common.threads == 0 && Runtime.getRuntime().availableProcessors() >= 2;
        if (common.threads == 0) common.threads = 1;
        common.apply();
        MemoryGate.unprinted();
        Path home = home();
        Path dir = home.resolve("models/stories260K");
        Path out = inspectOut != null ? inspectOut : home.resolve("target/demo-inspect");
        if (inspectOut != null) AtomicOutput.checkTarget(out, false, true);
        if (windows < 1 || windows > CALIB_FIRST)
            throw new InputException("--windows " + windows + ": give 1.." + CALIB_FIRST + " (windows " + CALIB_FIRST + ".." + (CALIB_FIRST + 15)
                    + " are the calibration text)");
        long t0 = System.nanoTime();
        LoadedModel m = LoadedModel.load(dir, null);
        Path text = dir.resolve("tinystories-val-head.txt");
        int[] ids = m.tokenizer().encode(TextFiles.read(text));
        if (!common.quiet)
            System.err.printf(Locale.ROOT, "sq: loaded %s and tokenized %s (%,d tokens) in %.1f s%n", dir.getFileName(), text.getFileName(),
                    ids.length, (System.nanoTime() - t0) / 1e9);
        Windows eval = Windows.of(ids, 256, 0, windows, text.toString());
        Windows calib = Windows.of(ids, 256, CALIB_FIRST, 16, text.toString());
        PrintStream o = new PrintStream(System.out, true, StandardCharsets.UTF_8);

        if (!json) {
            o.printf(Locale.ROOT, "== SmoothQuant (Xiao et al., arXiv 2211.10438) on stories260K (%,d parameters) and its outlier twin ==%n",
                    m.model().config().parameterCount());
            o.println("twin: " + Demo.twin(m.model()).describe() + ",");
            o.println("      the matching q/k/v and gate/up weight columns divided by the same power of two: the same function, bit for bit in fp32");
        }
        Demo.Result r = Demo.run(m.model(), calib, eval, concurrent);
        Path page = writeInspectPage(r, calib, out, inspectOut == null);
        Story fp32, sq;
        try (Progress p = new Progress("stories: fp32, int8", 2L * (1 + TIMED_RUNS))) {
            int[] done = {0};
            Runnable step = () -> p.stepTo(++done[0]);
            fp32 = story(m, new Transformer(r.twin().model()), r.twin().model(), step);
            Scheme w8a8 = Scheme.parse("w8a8");
            Model int8 = Int8Quantizer.quantize(Demo.smooth(r.twin().model(), r.twin().stats()), w8a8,
                    r.twin().stats(), HeadPrecision.INT8);
            sq = story(m, new Transformer(int8, w8a8.bmm()), int8, step);
        }
        double seconds = totalSeconds();

        if (json) o.println(toJson(r, page, fp32, sq, seconds).toPrettyString());
        else print(o, r, page, fp32, sq, seconds);
        return 0;
    }

    private void print(PrintStream o, Demo.Result r, Path page, Story fp32, Story sq, double seconds) {
        o.printf(Locale.ROOT, "      checked: fp32 logits of evaluation window 0 %s (%,d values)%n",
                r.sameLogits() ? "identical bit for bit" : "DIFFER", r.logitsCompared());
        o.println();
        o.println("== perplexity on TinyStories validation, " + windows + " windows x 256 tokens (W8A8 simulated: fake-quantized int8) ==");
        o.printf("%-28s %-18s %-18s%n", "", "original", "outlier twin");
        o.printf(Locale.ROOT, "%-28s %-18s %-18s%n", "fp32", String.format(Locale.ROOT, "%.4f", r.original().fp32()),
                String.format(Locale.ROOT, "%.4f", r.twin().fp32()));
        rows(o, "naive W8A8", r.original().naive(), r.original().fp32(), r.twin().naive(), r.twin().fp32());
        rows(o, String.format(Locale.ROOT, "SmoothQuant a=%.2f", Demo.ALPHA), r.original().smoothquant(), r.original().fp32(),
                r.twin().smoothquant(), r.twin().fp32());
        o.println("  SmoothQuant: the paper's groups (input norm -> q/k/v, -> gate/up) and the exact v_proj -> o_proj, up_proj -> down_proj"
                + " (llm-compressor, AWQ; sq eval --smooth-groups reference|extended)");
        o.printf(Locale.ROOT, "  + SmoothAttention (QServe): K's channels / lambda, Q's x lambda, lambda = max|K|^%.2f / max|Q|^%.2f per kv-head channel,"
                + " one per RoPE pair (sq eval --smooth-attention %.2f)%n", Demo.ATTENTION_ALPHA, 1 - Demo.ATTENTION_ALPHA, Demo.ATTENTION_ALPHA);
        for (String s : Demo.SCHEMES) {
            Scheme x = Scheme.parse(s);
            o.printf("  %-5s weights %s, activations %s%n", s, x.weights().id, x.activations().id);
        }
        o.println();
        Demo.ActRatio a = r.original().actRatio(), b = r.twin().actRatio();
        o.println("== outliers (Figure 2 in numbers): max/median of the per-channel max|X| into " + a.linear() + " ==");
        o.printf(Locale.ROOT, "original: %6.1fx before smoothing (ch %d), %4.1fx after%n", a.before().ratio(), a.before().argmax(), a.after().ratio());
        o.printf(Locale.ROOT, "twin:     %6.1fx before smoothing (ch %d), %4.1fx after   (int8 bits left to the median channel: %.1f -> %.1f)%n",
                b.before().ratio(), b.before().argmax(), b.after().ratio(), b.before().effectiveBits(), b.after().effectiveBits());
        o.println("inspect page of the twin (layer " + Demo.RATIO_LAYER + ", heat maps before/after, the table as a chart): " + page.toUri());
        o.println();
        o.printf(Locale.ROOT, "== the int8 engine: greedy story of the twin, %d new tokens at most (speed: best of %d runs after %.1f s of warm-up) ==%n",
                STORY_TOKENS, TIMED_RUNS, WARMUP_SECONDS);
        o.println("fp32:");
        o.println("  " + fp32.text());
        o.println("SmoothQuant W8A8 (int8 weights and activations, int8 attention and KV cache):");
        o.println("  " + sq.text());
        o.printf(Locale.ROOT, "speed (%s): fp32 %.0f tokens/s, int8 %.0f tokens/s (%.2fx); model: fp32 %,d bytes, int8 %,d bytes (%.2fx smaller)%n",
                Parallel.threads() == 1 ? "1 thread" : Parallel.threads() + " threads", fp32.tokensPerSecond(), sq.tokensPerSecond(), sq.tokensPerSecond() / fp32.tokensPerSecond(), fp32.modelBytes(),
                sq.modelBytes(), (double) fp32.modelBytes() / sq.modelBytes());
        if (sq.tokensPerSecond() < fp32.tokensPerSecond())
            o.println("  (a model this small lives in the CPU caches: int8 saves no memory traffic here and adds the quantization of activations;"
                    + " ./sq bench --shape tinyllama-1.1b --engine int8 vs --engine fp32 shows where it pays)");
        o.printf(Locale.ROOT, "total %.1f s (since the JVM started)%n", seconds);
    }

    private static void rows(PrintStream o, String method, Map<String, Double> left, double fpLeft, Map<String, Double> right, double fpRight) {
        boolean first = true;
        for (String s : Demo.SCHEMES) {
            o.printf(Locale.ROOT, "%-22s %-5s %-18s %-18s%n", first ? method : "", s, cell(left.get(s), fpLeft), cell(right.get(s), fpRight));
            first = false;
        }
    }

    private static String cell(double ppl, double fp) {
        return String.format(Locale.ROOT, "%.4f %+7.2f%%", ppl, 100 * (ppl / fp - 1));
    }

    /** The twin's inspect page for the ratio layer, with the demo's table as its chart. */
    private Path writeInspectPage(Demo.Result r, Windows calib, Path out, boolean replace) throws java.io.IOException {
        if (replace) Files.createDirectories(out.toAbsolutePath().getParent()); // the default, under target/
        Inspector.Request req = new Inspector.Request("stories260K outlier twin", r.twin().model(), r.twin().stats(), calib,
                "tinystories-val-head.txt, windows 100..115 of 256 tokens", List.of(Demo.RATIO_LAYER), Demo.ALPHA, Scheme.parse("w8a8"), 0,
                Sweep.of(r.twin().rows(), evaluation()), null);
        AtomicOutput.writeDir(out, replace, d -> Inspector.write(req, d, Progress.sink()));
        return out.toAbsolutePath().normalize().resolve("index.html");
    }

    /**
     * Greedy from BOS + the prompt: warm-up runs for {@link #WARMUP_SECONDS} (until the JIT has compiled the hot loops),
     * then the best of {@link #TIMED_RUNS}.
     */
    private static Story story(LoadedModel m, Transformer tf, Model model, Runnable step) {
        int[] prompt = prompt(m);
        Integer eos = m.model().config().eosId();
        long warmup = System.nanoTime();
        do Generator.generate(tf, prompt, STORY_TOKENS, new Sampler(0, 1, 0), id -> eos == null || id != eos);
        while (System.nanoTime() - warmup < WARMUP_SECONDS * 1e9);
        step.run();
        int[] out = new int[STORY_TOKENS];
        int n = 0;
        double best = 0;
        for (int run = 0; run < TIMED_RUNS; run++) {
            int[] count = {0};
            Generator.Stats s = Generator.generate(tf, prompt, STORY_TOKENS, new Sampler(0, 1, 0), id -> {
                if (eos != null && id == eos) return false;
                out[count[0]++] = id;
                return true;
            });
            n = count[0];
            best = Math.max(best, s.generated() / Math.max(s.decodeSeconds(), 1e-9));
            step.run();
        }
        int[] all = new int[prompt.length - 1 + n];
        System.arraycopy(prompt, 1, all, 0, prompt.length - 1);
        System.arraycopy(out, 0, all, prompt.length - 1, n);
        return new Story(m.tokenizer().decode(all), n, best, modelBytes(model));
    }

    private static int[] prompt(LoadedModel m) {
        int[] p = m.tokenizer().encode(PROMPT);
        Integer bos = m.model().config().bosId();
        if (bos == null) throw new InputException("the bundled model has no bos_token_id");
        int[] withBos = new int[p.length + 1];
        withBos[0] = bos;
        System.arraycopy(p, 0, withBos, 1, p.length);
        return withBos;
    }

    /** Bytes of the model's tensors in memory: embedding table, every linear (the head once if tied), norms. */
    static long modelBytes(Model m) {
        long bytes = m.embed().bytes() + 4L * m.finalNorm().weight().length;
        if (!m.config().tiedEmbeddings()) bytes += m.lmHead().weightBytes();
        for (Layer l : m.layers()) {
            for (Linear x : new Linear[]{l.q, l.k, l.v, l.o, l.gate, l.up, l.down})
                if (x != null) bytes += x.weightBytes();
            bytes += 4L * (l.attnNorm.weight().length + l.mlpNorm.weight().length);
        }
        return bytes;
    }

    private ObjectNode toJson(Demo.Result r, Path page, Story fp32, Story sq, double seconds) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", "models/stories260K").put("parameters", r.original().model().config().parameterCount())
                .put("alpha", Math.round(Demo.ALPHA * 1e6) / 1e6).put("smoothing_groups", Demo.GROUPS.cliName())
                .put("smooth_attention_alpha", Math.round(Demo.ATTENTION_ALPHA * 1e6) / 1e6)
                .put("calibration", "tinystories-val-head.txt windows 100..115 of 256 tokens")
                .put("evaluation", evaluation()).put("windows", windows);
        side(root.putObject("original"), r.original());
        ObjectNode twin = side(root.putObject("twin"), r.twin());
        ObjectNode recipe = twin.putObject("recipe");
        var channels = recipe.putArray("channels");
        for (int c : r.recipe().channels()) channels.add(c);
        recipe.put("k_attn", r.recipe().kAttn()).put("k_mlp", r.recipe().kMlp())
                .put("fp32_logits_bit_identical", r.sameLogits()).put("logits_compared", r.logitsCompared());
        root.put("inspect", page.toString());
        ObjectNode engine = root.putObject("engine");
        engine.put("threads", Parallel.threads()).put("prompt", PROMPT).put("max_new_tokens", STORY_TOKENS).put("model", "twin");
        story(engine.putObject("fp32"), fp32);
        story(engine.putObject("int8"), sq);
        root.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return root;
    }

    private String evaluation() {
        return "tinystories-val-head.txt windows 0.." + (windows - 1) + " of 256 tokens";
    }

    private static ObjectNode side(ObjectNode o, Demo.Side s) {
        o.put("fp32", s.fp32());
        s.naive().forEach(o.putObject("naive")::put);
        s.smoothquant().forEach(o.putObject("smoothquant")::put);
        OutlierReport.Entry before = s.actRatio().before(), after = s.actRatio().after();
        o.putObject("act_ratio").put("before", before.ratio()).put("after", after.ratio()).put("linear", s.actRatio().linear())
                .put("argmax_before", before.argmax()).put("argmax_after", after.argmax());
        return o;
    }

    private static void story(ObjectNode o, Story s) {
        o.put("tokens_per_s", s.tokensPerSecond()).put("model_bytes", s.modelBytes()).put("generated", s.generated()).put("text", s.text());
    }

    /** Since the JVM started (the launcher's build, if any, not included). */
    private static double totalSeconds() {
        return ManagementFactory.getRuntimeMXBean().getUptime() / 1e3;
    }

    /** The project folder: -Dsq.home from the launcher, else the working directory. */
    static Path home() {
        Path home = Path.of(System.getProperty("sq.home", "."));
        if (!Files.isDirectory(home.resolve("models/stories260K")))
            throw new InputException(home.toAbsolutePath() + ": bundled model models/stories260K not found (run ./sq from the project)");
        return home;
    }
}
