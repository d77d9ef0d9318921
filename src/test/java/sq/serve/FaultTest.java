package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.io.Json;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input and misbehaving clients: each gets its error or is cleaned up, the server stays up, no KV block leaks. */
class FaultTest {
    static TestServer s;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final String M = "\"model\": \"" + TestServer.MODEL + "\"";

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws Exception {
        s.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.server.url() + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.server.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status and OpenAI's error shape with the given param (null: any). */
    static void error(HttpResponse<String> r, int status, String param) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.has("type") && e.has("param") && e.has("code")).isTrue();
        if (param != null) assertThat(e.get("param").asText()).isEqualTo(param);
    }

    @Test
    void badInputGetsTheRightError() throws Exception {
        String c = "/v1/completions", chat = "/v1/chat/completions";
        error(post(c, "{bad"), 400, null);
        error(post(c, "[1, 2]"), 400, null);
        error(post(c, ""), 400, null);
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": \"ten\"}"), 400, "max_tokens");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": 0}"), 400, "max_tokens");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": -5}"), 400, "max_tokens");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": 2.5}"), 400, "max_tokens");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"temperature\": \"hot\"}"), 400, "temperature");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"temperature\": 3}"), 400, "temperature");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"top_p\": 0}"), 400, "top_p");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"stop\": 5}"), 400, "stop");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"stream\": \"yes\"}"), 400, "stream");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"n\": 3}"), 400, "n");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"seed\": \"x\"}"), 400, "seed");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"logprobs\": 9}"), 400, "logprobs");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": 5, \"min_tokens\": 6}"), 400, "min_tokens");
        error(post(c, "{" + M + "}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": [1, \"a\"]}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": [1, 99999]}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": [\"a\", \"b\"]}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": []}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": \"" + "word ".repeat(600) + "\"}"), 400, "prompt");
        error(post(c, "{" + M + ", \"prompt\": \"a\", \"max_tokens\": 600}"), 400, "max_tokens");
        error(post(c, "{\"prompt\": \"a\"}"), 400, "model");
        error(post(c, "{\"model\": \"other\", \"prompt\": \"a\"}"), 404, "model");
        error(post(chat, "{" + M + ", \"messages\": []}"), 400, "messages");
        error(post(chat, "{" + M + ", \"messages\": \"hi\"}"), 400, "messages");
        error(post(chat, "{" + M + "}"), 400, "messages");
        error(post(chat, "{" + M + ", \"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}"), 400, "messages[0].role");
        error(post(chat, "{" + M + ", \"messages\": [{\"role\": \"user\", \"content\": 5}]}"), 400, "messages[0].content");
        error(post(chat, "{" + M + ", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_logprobs\": 2}"), 400, "top_logprobs");
        error(post("/v1/embeddings", "{" + M + ", \"input\": \"a\"}"), 400, "model"); // no --embedding-model
        error(get(c), 405, null);
        error(get("/v1/nothing"), 404, null);
        error(get("/v1/models/other"), 404, "model");
        error(post(c, "{\"prompt\": \"" + "a".repeat(OpenAiServer.MAX_BODY) + "\"}"), 413, null);
        // unknown fields are ignored, as OpenAI's API does
        HttpResponse<String> ok = post(c, "{" + M + ", \"prompt\": \"Once\", \"max_tokens\": 3, \"frobnicate\": {\"x\": 1}, \"user\": \"u\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(s.poolEmpty()).isTrue();
    }

    @Test
    void tenThousandConnectionsOpenedAndDropped() throws Exception {
        AtomicInteger connected = new AtomicInteger();
        Semaphore open = new Semaphore(256);
        byte[] partial = ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{" + M + ", \"prompt\": \"Once")
                .getBytes(StandardCharsets.UTF_8);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10_000; i++) {
                int kind = i % 3;
                open.acquire();
                pool.submit(() -> {
                    try (Socket so = new Socket()) {
                        so.connect(new InetSocketAddress("127.0.0.1", s.server.port()), 10_000);
                        connected.incrementAndGet();
                        if (kind == 1) so.getOutputStream().write(partial); // a request cut off in its body
                        if (kind == 2) so.getOutputStream().write("GET /health HT".getBytes(StandardCharsets.UTF_8));
                    } catch (Exception ignored) {
                        // refused under load: counted below
                    } finally {
                        open.release();
                    }
                    return null;
                });
            }
        }
        assertThat(connected.get()).isGreaterThan(9_900);
        assertThat(get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> r = post("/v1/completions", "{" + M + ", \"prompt\": \"Once upon a time\", \"max_tokens\": 12, \"temperature\": 0}");
        assertThat(Json.MAPPER.readTree(r.body()).at("/choices/0/text").asText()).isEqualTo(TestServer.greedy("Once upon a time", 12));
        assertThat(s.poolEmpty()).isTrue();
    }

    static Socket streamingRequest(int maxTokens) throws Exception {
        String body = "{" + M + ", \"prompt\": \"Once upon a time\", \"max_tokens\": " + maxTokens + ", \"stream\": true, \"ignore_eos\": true}";
        Socket so = new Socket("127.0.0.1", s.server.port());
        OutputStream out = so.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return so;
    }

    /** Reads the response's first line, byte by byte (nothing beyond it). */
    static String statusLine(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new AssertionError("connection closed after " + b);
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    @Test
    void clientThatDisconnectsMidStreamIsCancelled() throws Exception {
        long before;
        try (Socket so = streamingRequest(450)) {
            InputStream in = so.getInputStream();
            String seen = "";
            while (!seen.contains("data: ")) seen += (char) in.read();
            before = s.engine.steps();
            assertThat(s.engine.pool().used()).as("blocks held while streaming").isPositive();
        }
        assertThat(s.poolEmpty()).isTrue();
        assertThat(s.engine.steps() - before).as("cancelled, not run to its 450 tokens").isLessThan(250);
    }

    @Test
    void clientThatNeverReadsHoldsNoKvMemory() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) idle.add(streamingRequest(450));
            // the status line comes after the engine took the request: without it, the pool could be checked before
            // any request arrived (seen on a loaded machine); the body is never read
            for (Socket so : idle) assertThat(statusLine(so.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
            // the engine never waits for a client: the requests run to their end and give their blocks back
            assertThat(s.poolEmpty()).isTrue();
            assertThat(get("/health").statusCode()).isEqualTo(200);
            HttpResponse<String> m = get("/metrics");
            assertThat(m.body()).contains("sq_kv_blocks_used 0").contains("sq_running_batch_size 0");
        } finally {
            for (Socket so : idle) so.close();
        }
    }

    @Test
    void metricsInPrometheusText() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++)
                fs.add(pool.submit(() -> post("/v1/completions", "{" + M + ", \"prompt\": \"Once\", \"max_tokens\": 20, \"stream\": true}")));
            for (var f : fs) assertThat(f.get().statusCode()).isEqualTo(200);
        }
        String text = get("/metrics").body();
        assertThat(text).contains("# TYPE sq_time_to_first_token_seconds histogram", "sq_inter_token_latency_seconds_bucket{le=\"+Inf\"}",
                "sq_requests_total{endpoint=\"/v1/completions\",status=\"200\"}", "sq_queue_depth 0", "sq_kv_blocks_total 512");
        double ttftCount = Double.parseDouble(text.lines().filter(l -> l.startsWith("sq_time_to_first_token_seconds_count ")).findFirst()
                .orElseThrow().split(" ")[1]);
        assertThat(ttftCount).isGreaterThanOrEqualTo(3);
    }
}
