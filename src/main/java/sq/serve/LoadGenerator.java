package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.InputException;
import sq.io.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A bounded load generator for a local server: N concurrent streams, each one streamed /v1/completions request of a
 * fixed prompt of token ids and a fixed output length (ignore_eos), all started together. Reports aggregate decode
 * throughput over the interval in which every stream is decoding (from the last stream's first token to the first
 * stream's last token), so prompt processing is measured apart, as time to first token; and inter-token latency.
 * Loopback only.
 */
public final class LoadGenerator {
    /** One stream's times (nanoseconds): sent, then each token's arrival. */
    record Stream(long sent, long[] tokens) {
    }

    /**
     * @param aggregateTokS output tokens per second of all streams together over the all-decoding interval
     * @param perStreamTokS aggregateTokS / streams
     */
    public record Result(int streams, int failed, double aggregateTokS, double perStreamTokS, double intervalS, double ttftP50,
                         double ttftP99, double itlP50, double itlP99) {
    }

    private final URI base;
    private final String model;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    public LoadGenerator(URI base, String model) {
        String h = base.getHost();
        if (h == null || !(h.equals("127.0.0.1") || h.equals("localhost") || h.equals("[::1]") || h.equals("::1")))
            throw new InputException("--url " + base + ": the load generator only talks to this machine (127.0.0.1, localhost, ::1)");
        this.base = base;
        this.model = model;
    }

    /** The model the server serves (GET /v1/models), where none was named. */
    public static String servedModel(URI base) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.MAPPER.readTree(r.body()).path("data").path(0).path("id").asText();
    }

    /** A server metric (GET /metrics), or NaN. */
    public double metric(String name) throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : text.split("\n")) if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        return Double.NaN;
    }

    public Result run(int streams, int promptTokens, int outputTokens, int vocab) throws InterruptedException {
        List<Future<Stream>> fs = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < streams; i++) {
                int[] prompt = new int[promptTokens];
                for (int t = 0; t < promptTokens; t++) prompt[t] = 3 + (int) ((i * 7919L + t * 104729L) % (vocab - 3)); // distinct per stream
                fs.add(pool.submit(() -> stream(prompt, outputTokens)));
            }
        }
        List<Stream> ok = new ArrayList<>();
        int failed = 0;
        for (Future<Stream> f : fs) {
            try {
                Stream s = f.get();
                if (s.tokens().length == outputTokens) ok.add(s);
                else failed++;
            } catch (java.util.concurrent.ExecutionException e) {
                failed++;
            }
        }
        if (ok.isEmpty()) return new Result(streams, failed, 0, 0, 0, 0, 0, 0, 0);
        long from = Long.MIN_VALUE, to = Long.MAX_VALUE;
        for (Stream s : ok) {
            from = Math.max(from, s.tokens()[0]);
            to = Math.min(to, s.tokens()[s.tokens().length - 1]);
        }
        // tokens that arrived within (from, to]: each marks the end of one decode step of its stream
        long count = 0;
        for (Stream s : ok) for (long t : s.tokens()) if (t > from && t <= to) count++;
        double interval = (to - from) / 1e9;
        double agg = interval > 0 ? count / interval : Double.NaN;
        double[] ttft = ok.stream().mapToDouble(s -> (s.tokens()[0] - s.sent()) / 1e9).sorted().toArray();
        double[] itl = ok.stream().flatMapToDouble(s -> {
            double[] d = new double[s.tokens().length - 1];
            for (int i = 1; i < s.tokens().length; i++) d[i - 1] = (s.tokens()[i] - s.tokens()[i - 1]) / 1e9;
            return Arrays.stream(d);
        }).sorted().toArray();
        return new Result(streams, failed, agg, agg / streams, interval, pct(ttft, 50), pct(ttft, 99), pct(itl, 50), pct(itl, 99));
    }

    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private Stream stream(int[] prompt, int outputTokens) throws IOException, InterruptedException {
        ObjectNode body = Json.MAPPER.createObjectNode().put("model", model).put("max_tokens", outputTokens).put("temperature", 0)
                .put("stream", true).put("ignore_eos", true);
        var p = body.putArray("prompt");
        for (int t : prompt) p.add(t);
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body))).build();
        long sent = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            r.body().close();
            throw new IOException("status " + r.statusCode());
        }
        long[] times = new long[outputTokens];
        int n = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode c = Json.MAPPER.readTree(line.substring(6)).path("choices").path(0);
                // one chunk per token: with --shape each token has text (its id), so none is held back
                if (!c.path("text").asText().isEmpty() && n < outputTokens) times[n++] = System.nanoTime();
            }
        }
        return new Stream(sent, Arrays.copyOf(times, n));
    }
}
