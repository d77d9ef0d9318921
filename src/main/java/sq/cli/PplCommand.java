package sq.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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
        LoadedModel m = modelOptions.load();
        int[] ids = m.tokenizer().encode(TextFiles.read(text));
        Windows w = Windows.of(ids, window, first, windows, text.toString());
        Perplexity.Result r;
        try (Progress p = new Progress("ppl", windows)) {
            r = Perplexity.evaluate(engine.prepare(m, common.quiet), w, p::stepTo);
        }
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("model", m.path().toString()).put("text", text.toString()).put("ppl", r.ppl()).put("mean_nll", r.meanNll())
                    .put("tokens", r.predicted()).put("windows", r.windows()).put("window", window).put("seconds", r.seconds())
                    .put("engine", engine.int8() ? "int8" : "fp32");
            System.out.println(o);
        } else {
            System.out.printf("perplexity %.4f  (mean NLL %.6f over %d tokens in %d windows of %d; %.1f s)%n",
                    r.ppl(), r.meanNll(), r.predicted(), r.windows(), window, r.seconds());
        }
        return 0;
    }
}
