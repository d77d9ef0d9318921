package sq.serve;

import sq.engine.Engine;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The server's Prometheus metrics (GET /metrics, text format 0.0.4). */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // "endpoint status" -> count
    final LongAdder promptTokens = new LongAdder(), completionTokens = new LongAdder();
    final Histogram ttft = new Histogram("sq_time_to_first_token_seconds", "Time from request arrival to its first token.",
            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    final Histogram itl = new Histogram("sq_inter_token_latency_seconds", "Time between consecutive tokens of a request.",
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5);

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + " " + status, k -> new LongAdder()).increment();
    }

    String render(Engine engine) {
        StringBuilder b = new StringBuilder();
        b.append("# HELP sq_requests_total Requests answered, by endpoint and HTTP status.\n# TYPE sq_requests_total counter\n");
        for (var e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split(" ");
            b.append("sq_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        counter(b, "sq_prompt_tokens_total", "Prompt tokens of admitted requests.", promptTokens.sum());
        counter(b, "sq_generation_tokens_total", "Tokens generated.", completionTokens.sum());
        gauge(b, "sq_queue_depth", "Requests waiting for admission.", engine.waiting());
        gauge(b, "sq_running_batch_size", "Sequences in the running batch.", engine.running());
        gauge(b, "sq_kv_blocks_used", "KV pool blocks in use.", engine.pool().used());
        gauge(b, "sq_kv_blocks_total", "KV pool blocks.", engine.pool().total());
        gauge(b, "sq_kv_pool_bytes", "KV pool size in bytes.", engine.pool().total() * engine.pool().bytesPerBlock());
        counter(b, "sq_engine_steps_total", "Engine steps run.", engine.steps());
        counter(b, "sq_engine_step_tokens_total", "Tokens fed to the model over all steps.", engine.stepTokens());
        gauge(b, "sq_peak_rss_bytes", "Peak resident memory of the server process (VmHWM).", sq.eval.Bench.peakRss());
        ttft.write(b);
        itl.write(b);
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(v).append('\n');
    }
}
