package sq.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import sq.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * OpenAI's HTTP API over an {@link sq.engine.Engine}, on the JDK's own HTTP server (com.sun.net.httpserver) with
 * one virtual thread per exchange: no dependency, and blocking code per request (each request waits on its token
 * queue) costs a virtual thread, not a platform one. Routes: POST /v1/completions, POST /v1/chat/completions,
 * POST /v1/embeddings (with an encoder), GET /v1/models[/id], GET /health, GET /metrics. With an API key, /v1/* needs {@code Authorization: Bearer KEY}.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Request bodies larger than this are refused (413). */
    static final int MAX_BODY = 16 << 20;

    private final ServedModel model;
    private final ServedEncoder encoder; // or null: /v1/embeddings answers 400
    private final String apiKey;
    private final HttpServer http;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sq-serve-write-timeout");
        t.setDaemon(true);
        return t;
    });
    private final Metrics metrics = new Metrics();

    private OpenAiServer(ServedModel model, ServedEncoder encoder, String host, int port, String apiKey) throws IOException {
        this.model = model;
        this.encoder = encoder;
        this.apiKey = apiKey;
        http = HttpServer.create(new InetSocketAddress(host, port), 1024);
        http.setExecutor(threads);
        http.createContext("/", this::route);
    }

    /** Binds host:port (0: a free port) and starts answering; encoder (or null) serves /v1/embeddings. */
    public static OpenAiServer start(ServedModel model, ServedEncoder encoder, String host, int port, String apiKey) throws IOException {
        OpenAiServer s = new OpenAiServer(model, encoder, host, port, apiKey);
        s.http.start();
        return s;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public String url() {
        return "http://" + http.getAddress().getHostString() + ":" + port();
    }

    /**
     * Graceful: the engine stops admitting, in-flight requests finish within the deadline or are cancelled (their
     * streams end with finish_reason "abort"), then the listener closes.
     */
    public void shutdown(Duration deadline) throws InterruptedException {
        model.engine().shutdown(deadline);
        http.stop(1);
        threads.shutdownNow();
        timer.shutdownNow();
    }

    @Override
    public void close() throws InterruptedException {
        shutdown(Duration.ZERO);
    }

    private void route(HttpExchange ex) {
        long arrival = System.nanoTime();
        String path = ex.getRequestURI().getPath();
        String endpoint = switch (path) {
            case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics", "/v1/embeddings" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
        int status;
        try (ex) {
            try {
                status = handle(ex, path, arrival);
            } catch (ApiException e) {
                status = e.status;
                error(ex, e);
            } catch (IOException e) {
                status = 499; // the client went away (nginx's code for it)
            } catch (InterruptedException e) {
                status = 503;
            } catch (RuntimeException e) {
                e.printStackTrace(); // a bug: the client gets a 500, the server stays up
                status = 500;
                try {
                    error(ex, new ApiException(500, "server_error", null, null, "internal error: " + e));
                } catch (IOException | RuntimeException ignored) {
                    // headers were sent already, or the client is gone
                }
            }
        } catch (IOException e) {
            status = 499;
        }
        metrics.request(endpoint, status);
    }

    private int handle(HttpExchange ex, String path, long arrival) throws IOException, InterruptedException {
        if (path.startsWith("/v1/") && apiKey != null && !authorized(ex.getRequestHeaders().getFirst("Authorization")))
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", "Incorrect API key provided");
        switch (path) {
            case "/health" -> {
                method(ex, "GET");
                boolean up = model.engine().isRunning();
                ObjectNode o = Json.MAPPER.createObjectNode().put("status", up ? "ok" : "unavailable");
                json(ex, up ? 200 : 503, o);
                return up ? 200 : 503;
            }
            case "/metrics" -> {
                method(ex, "GET");
                byte[] b = metrics.render(model.engine()).getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                return 200;
            }
            case "/v1/models" -> {
                method(ex, "GET");
                ObjectNode o = Json.MAPPER.createObjectNode().put("object", "list");
                var data = o.putArray("data").add(modelCard());
                if (encoder != null) data.add(encoderCard());
                json(ex, 200, o);
                return 200;
            }
            case "/v1/completions", "/v1/chat/completions" -> {
                method(ex, "POST");
                Params p = Params.parse(body(ex), path.equals("/v1/chat/completions"), model);
                return new Completion(model, p, metrics, timer).run(ex, arrival);
            }
            case "/v1/embeddings" -> {
                method(ex, "POST");
                if (encoder == null)
                    throw new ApiException(400, "invalid_request_error", "model", "model_not_supported",
                            "model " + model.id() + " is a decoder; start the server with --embedding-model to serve embeddings");
                json(ex, 200, Embeddings.run(encoder, body(ex)));
                return 200;
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    method(ex, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (encoder != null && id.equals(encoder.id())) {
                        json(ex, 200, encoderCard());
                        return 200;
                    }
                    if (!id.equals(model.id()))
                        throw new ApiException(404, "invalid_request_error", "model", "model_not_found", "The model '" + id + "' does not exist");
                    json(ex, 200, modelCard());
                    return 200;
                }
                throw new ApiException(404, "invalid_request_error", null, "not_found", "no route " + ex.getRequestMethod() + " " + path);
            }
        }
    }

    /** Compares in constant time, so the key cannot be guessed byte by byte from response times. */
    private boolean authorized(String header) {
        if (header == null) return false;
        return MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8));
    }

    private ObjectNode modelCard() {
        return Json.MAPPER.createObjectNode().put("id", model.id()).put("object", "model").put("created", 0).put("owned_by", "sq")
                .put("max_model_len", model.engine().config().maxContext());
    }

    private ObjectNode encoderCard() {
        return Json.MAPPER.createObjectNode().put("id", encoder.id()).put("object", "model").put("created", 0).put("owned_by", "sq")
                .put("max_model_len", encoder.maxPositions());
    }

    private static void method(HttpExchange ex, String want) {
        if (!ex.getRequestMethod().equals(want))
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", ex.getRequestURI().getPath() + " takes " + want);
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        byte[] b;
        try (InputStream in = ex.getRequestBody()) {
            b = in.readNBytes(MAX_BODY + 1);
        }
        if (b.length > MAX_BODY)
            throw new ApiException(413, "invalid_request_error", null, "request_too_large", "the request body exceeds " + (MAX_BODY >> 20) + " MiB");
        try {
            return Json.MAPPER.readTree(b);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_request_error", null, "invalid_json", "malformed JSON: " + Json.describe(e));
        }
    }

    static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void error(HttpExchange ex, ApiException e) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putObject("error").put("message", e.getMessage()).put("type", e.type).put("param", e.param).put("code", e.code);
        json(ex, e.status, o);
    }
}
