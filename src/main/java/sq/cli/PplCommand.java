package sq.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.distributed.PerJvm;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.io.Json;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "ppl", mixinStandardHelpOptions = true,
        description = {"Perplexity of a model on a text file.",
                "The whole file is tokenized as one stream (no BOS), cut into non-overlapping windows of --window tokens; "
                        + "each window runs from an empty cache and every token after the first is scored."})
final class PplCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CommonOptions common;
    @Mixin
    EngineOptions engine;
    @Mixin
    SparkOption spark;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text file to score.")
    Path text;

    @Option(names = "--window", defaultValue = "256", description = "Tokens per window (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--windows", defaultValue = "40", description = "Number of windows (default: ${DEFAULT-VALUE}).")
    int windows;

    @Option(names = "--first", defaultValue = "0", description = "Index of the first window (default: ${DEFAULT-VALUE}).")
    int first;

    @Option(names = "--json", description = "Print one JSON object: ppl, mean_nll, tokens, windows, seconds.")
    boolean json;

    @Override
    public Integer call() {
        common.apply();
        if (spark.given()) return report(modelOptions.model, sparkRun());
        MemoryGate.expect(window, window, 1, "--window", json);
        LoadedModel m = modelOptions.load();
        int[] ids = m.tokenizer().encode(TextFiles.read(text));
        Windows w = Windows.of(ids, window, first, windows, text.toString());
        Perplexity.Result r;
        try (Progress p = new Progress("ppl", windows)) {
            r = Perplexity.evaluate(engine.prepare(m, common.quiet), w, p::stepTo);
        }
        return report(m.path(), r);
    }

    /** --spark: each partition's windows' log-probabilities, summed here in window order (Perplexity.Sum). */
    private Perplexity.Result sparkRun() {
        long t0 = System.nanoTime();
        String[] args = SparkOption.argsWithoutSpark(spec);
        long modelBytes = pathBytes(modelOptions.model);
        // per window: its logits [T, vocab] in float; fixed: the model in float (the file's size is its upper bound x2)
        java.util.List<double[][]> parts = spark.run("sq ppl", windows, 2 * modelBytes, (long) window * 4 * 32_000,
                (from, to) -> windowsOf(args, from, to));
        Perplexity.Sum sum = new Perplexity.Sum();
        for (double[][] part : parts) for (double[] lp : part) sum.add(lp);
        return sum.result(windows, (System.nanoTime() - t0) / 1e9);
    }

    /** What the tasks of one ppl job on an executor share (sq.distributed.PerJvm): the prepared model, the tokens. */
    private record Prepared(sq.model.Model model, boolean int8Engine, int[] ids) {
    }

    /** On an executor: the log-probabilities of windows [from, to) of the command line args. */
    static double[][] windowsOf(String[] args, int from, int to) {
        PplCommand c = new PplCommand();
        new picocli.CommandLine(c).parseArgs(args);
        Prepared p = PerJvm.get(java.util.List.of(args), () -> {
            LoadedModel m = c.modelOptions.load();
            sq.model.Transformer tf = c.engine.prepare(m, true);
            return new Prepared(tf.model(), tf.int8Engine(), m.tokenizer().encode(TextFiles.read(c.text)));
        });
        Windows w = Windows.of(p.ids(), c.window, c.first + from, to - from, c.text.toString());
        sq.model.Transformer tf = new sq.model.Transformer(p.model(), p.int8Engine()); // per task: its scratch is its own
        sq.model.KvCache cache = tf.newCache(c.window);
        double[][] lp = new double[to - from][];
        for (int i = 0; i < lp.length; i++) lp[i] = Perplexity.windowLogProbs(tf, cache, w, i);
        return lp;
    }

    static long pathBytes(Path p) {
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(p)) {
            return s.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (java.io.IOException e) {
            throw sq.io.InputException.of(p, "cannot be read on the driver: " + e.getMessage());
        }
    }

    private int report(Path model, Perplexity.Result r) {
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("model", model.toString()).put("text", text.toString()).put("ppl", r.ppl()).put("mean_nll", r.meanNll())
                    .put("tokens", r.predicted()).put("windows", r.windows()).put("window", window).put("seconds", r.seconds())
                    .put("engine", engine.int8() ? "int8" : "fp32");
            o.set("memory_plan", MemoryGate.json());
            System.out.println(o);
        } else {
            System.out.printf("perplexity %.4f  (mean NLL %.6f over %d tokens in %d windows of %d; %.1f s)%n",
                    r.ppl(), r.meanNll(), r.predicted(), r.windows(), window, r.seconds());
        }
        return 0;
    }
}
