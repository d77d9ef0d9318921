package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sq.io.InputException;
import sq.serve.LoadGenerator;
import sq.serve.LoadPlot;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = {"Load a local ./sq serve: for each concurrency, that many streamed /v1/completions requests at once (a prompt "
                + "of token ids, a fixed output length with ignore_eos), one after the other level.",
                "Prints aggregate decode tokens/s over the interval in which every stream decodes, time to first token and "
                        + "inter-token latency (p50/p99), and the server's peak RSS. Loopback only."})
final class LoadtestCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8000", description = "The server (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--model", description = "Model id (default: the one the server lists).")
    String model;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,4,16,32", description = "Concurrent streams per level (default: ${DEFAULT-VALUE}).")
    List<Integer> levels;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "Prompt length in token ids (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--max-tokens", defaultValue = "128", description = "Output tokens per stream (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--vocab", defaultValue = "32000", description = "Prompt ids are drawn below this (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw throughput and inter-token latency against concurrency.")
    java.nio.file.Path plot;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || maxTokens < 2 || vocab < 4) throw new InputException("--prompt-tokens >= 1, --max-tokens >= 2, --vocab >= 4");
        for (int n : levels) if (n < 1 || n > 1024) throw new InputException("--concurrency levels must be in [1, 1024]");
        String m;
        try {
            m = model != null ? model : LoadGenerator.servedModel(url);
        } catch (java.io.IOException e) {
            throw new InputException("--url " + url + ": no server answers (" + e.getMessage() + ")");
        }
        LoadGenerator g = new LoadGenerator(url, m);
        System.out.printf(Locale.ROOT, "model %s, prompt %d ids, output %d tokens (ignore_eos), streamed%n", m, promptTokens, maxTokens);
        System.out.println("streams  failed  aggregate tok/s  per stream tok/s  vs 1 stream  TTFT p50/p99 s   ITL p50/p99 ms   interval s");
        double single = Double.NaN;
        List<LoadGenerator.Result> rows = new java.util.ArrayList<>();
        for (int n : levels) {
            LoadGenerator.Result r = g.run(n, promptTokens, maxTokens, vocab);
            rows.add(r);
            if (n == 1) single = r.aggregateTokS();
            System.out.printf(Locale.ROOT, "%7d  %6d  %15.2f  %16.2f  %10.2fx  %6.2f / %6.2f  %6.0f / %6.0f  %10.1f%n", n, r.failed(),
                    r.aggregateTokS(), r.perStreamTokS(), r.aggregateTokS() / single, r.ttftP50(), r.ttftP99(), 1e3 * r.itlP50(),
                    1e3 * r.itlP99(), r.intervalS());
        }
        System.out.printf(Locale.ROOT, "server peak RSS %.2f GB, KV pool %.1f MB%n", g.metric("sq_peak_rss_bytes") / 1e9,
                g.metric("sq_kv_pool_bytes") / 1e6);
        if (plot != null) {
            LoadPlot.write(rows, "./sq serve: " + m + ", continuous batching on the int8 engine",
                    String.format(Locale.ROOT, "prompt %d ids, %d tokens out (ignore_eos), streamed; aggregate over the interval where every stream decodes",
                            promptTokens, maxTokens), plot);
            System.out.println("plot: " + plot);
        }
        return 0;
    }
}
