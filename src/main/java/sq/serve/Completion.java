package sq.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import sq.engine.Engine;
import sq.engine.QueueFullException;
import sq.engine.TokenLogprobs;
import sq.io.Json;
import sq.tokenizer.TokenStreamDecoder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One completion request on its own virtual thread: submitted to the engine, its tokens detokenized, matched
 * against stop strings and answered as one JSON body or as server-sent events in OpenAI's chunk format
 * ({@code data: {...}\n\n} per chunk, {@code data: [DONE]} last). A client that goes away (a failed write) or stops
 * reading for {@link #WRITE_TIMEOUT_S} s cancels the request, which frees its KV blocks at the next step.
 */
final class Completion {
    static final int WRITE_TIMEOUT_S = 30;

    private final ServedModel m;
    private final Params p;
    private final Metrics metrics;
    private final ScheduledExecutorService timer;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final TokenStreamDecoder decoder;
    private final StopMatcher stops;
    private final ArrayNode pendingLogprobs = Json.MAPPER.createArrayNode(); // since the last chunk
    private final ArrayNode allLogprobs = Json.MAPPER.createArrayNode();

    Completion(ServedModel m, Params p, Metrics metrics, ScheduledExecutorService timer) {
        this.m = m;
        this.p = p;
        this.metrics = metrics;
        this.timer = timer;
        this.id = (p.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        this.stops = new StopMatcher(p.stop());
        if (m.tokenizer() != null) {
            decoder = m.tokenizer().streamDecoder();
            // the first new token decodes in context (its leading space); no flush, which would drop that context (only
            // a prompt ending inside a UTF-8 character would have its held-back bytes show up in the output)
            for (int t : p.prompt()) decoder.next(t);
        } else decoder = null;
    }

    /** Runs the request to its end; returns the HTTP status answered. */
    int run(HttpExchange ex, long arrival) throws IOException, InterruptedException {
        TokenQueue q = new TokenQueue(metrics, arrival);
        Engine.Handle h;
        try {
            h = m.engine().submit(p.toRequest(m.eosIds()), q);
        } catch (QueueFullException e) {
            throw e.shuttingDown ? new ApiException(503, "server_error", null, "service_unavailable", e.getMessage())
                    : new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", e.getMessage() + "; retry later");
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(p.chat() ? "messages" : "prompt", e.getMessage());
        }
        metrics.promptTokens.add(p.prompt().length);
        OutputStream out = null;
        if (p.stream()) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            out = ex.getResponseBody();
        }
        StringBuilder text = new StringBuilder();
        String reason;
        int completionTokens, received = 0;
        try {
            if (p.chat() && out != null) send(ex, out, chunk(delta("role", "assistant").put("content", ""), null));
            while (true) {
                TokenQueue.Event e = q.take();
                if (e instanceof TokenQueue.Token t) {
                    if (stops.stopped()) continue; // cancelled: the rest is dropped
                    received++;
                    String piece = stops.add(decoder == null ? ServedModel.idText(t.id()) : decoder.next(t.id()));
                    if (t.logprobs() != null) logprobs(t.logprobs());
                    if (stops.stopped()) h.cancel();
                    emit(ex, out, text, piece);
                } else {
                    TokenQueue.Finish f = (TokenQueue.Finish) e;
                    if (!stops.stopped()) emit(ex, out, text, stops.add(decoder == null ? "" : decoder.flush()) + stops.flush());
                    reason = stops.stopped() ? "stop" : f.reason().openAi;
                    completionTokens = stops.stopped() ? received : f.completionTokens();
                    break;
                }
            }
            if (out != null) {
                ObjectNode last = p.chat() ? chunk(Json.MAPPER.createObjectNode(), reason) : textChunk("", reason);
                send(ex, out, last);
                if (p.includeUsage()) {
                    ObjectNode u = base(p.chat() ? "chat.completion.chunk" : "text_completion");
                    u.putArray("choices");
                    u.set("usage", usage(completionTokens));
                    send(ex, out, u);
                }
                write(ex, out, "data: [DONE]\n\n");
                out.close();
                return 200;
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            h.cancel(); // the client is gone (or this thread is interrupted): free the request's blocks
            throw e;
        }
        ObjectNode body = base(p.chat() ? "chat.completion" : "text_completion");
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        if (p.chat()) choice.putObject("message").put("role", "assistant").put("content", text.toString());
        else choice.put("text", text.toString());
        choice.set("logprobs", p.logprobs() < 0 ? null : logprobsNode(allLogprobs));
        choice.put("finish_reason", reason);
        body.set("usage", usage(completionTokens));
        OpenAiServer.json(ex, 200, body);
        return 200;
    }

    private void emit(HttpExchange ex, OutputStream out, StringBuilder text, String piece) throws IOException {
        text.append(piece);
        if (out == null || piece.isEmpty()) return;
        send(ex, out, p.chat() ? chunk(delta("content", piece), null) : textChunk(piece, null));
        pendingLogprobs.removeAll();
    }

    private ObjectNode base(String object) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id).put("object", object).put("created", created).put("model", m.id()).put("system_fingerprint", "sq");
        return o;
    }

    private static ObjectNode delta(String key, String value) {
        return Json.MAPPER.createObjectNode().put(key, value);
    }

    private ObjectNode chunk(ObjectNode delta, String finish) {
        ObjectNode o = base("chat.completion.chunk");
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        c.set("delta", delta);
        c.set("logprobs", p.logprobs() < 0 || pendingLogprobs.isEmpty() ? null : logprobsNode(pendingLogprobs.deepCopy()));
        c.put("finish_reason", finish);
        if (p.includeUsage()) o.putNull("usage");
        return o;
    }

    private ObjectNode textChunk(String piece, String finish) {
        ObjectNode o = base("text_completion");
        ObjectNode c = o.putArray("choices").addObject().put("index", 0).put("text", piece);
        c.set("logprobs", p.logprobs() < 0 || pendingLogprobs.isEmpty() ? null : logprobsNode(pendingLogprobs.deepCopy()));
        c.put("finish_reason", finish);
        if (p.includeUsage()) o.putNull("usage");
        return o;
    }

    private ObjectNode usage(int completionTokens) {
        return Json.MAPPER.createObjectNode().put("prompt_tokens", p.prompt().length).put("completion_tokens", completionTokens)
                .put("total_tokens", p.prompt().length + completionTokens);
    }

    private String tokenText(int id) {
        return m.tokenizer() == null ? ServedModel.idText(id) : m.tokenizer().decode(new int[]{id});
    }

    /** One token's entry: chat's {token, logprob, bytes, top_logprobs}; the legacy form is assembled from these. */
    private void logprobs(TokenLogprobs lp) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        entry(e, lp.id(), lp.logprob());
        ArrayNode top = e.putArray("top_logprobs");
        for (int i = 0; i < lp.topIds().length; i++) entry(top.addObject(), lp.topIds()[i], lp.topLogprobs()[i]);
        pendingLogprobs.add(e);
        allLogprobs.add(e);
    }

    private void entry(ObjectNode o, int id, double logprob) {
        String t = tokenText(id);
        o.put("token", t).put("logprob", logprob);
        ArrayNode bytes = o.putArray("bytes");
        for (byte b : t.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
    }

    /** Chat: {"content": [entries]}; completions: {"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}. */
    private ObjectNode logprobsNode(ArrayNode entries) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        if (p.chat()) {
            o.set("content", entries);
            return o;
        }
        ArrayNode tokens = o.putArray("tokens"), lps = o.putArray("token_logprobs"), tops = o.putArray("top_logprobs"),
                offsets = o.putArray("text_offset");
        int offset = 0;
        for (var e : entries) {
            tokens.add(e.get("token").asText());
            lps.add(e.get("logprob").asDouble());
            ObjectNode top = tops.addObject();
            for (var t : e.get("top_logprobs")) top.put(t.get("token").asText(), t.get("logprob").asDouble());
            offsets.add(offset);
            offset += e.get("token").asText().length();
        }
        return o;
    }

    private void send(HttpExchange ex, OutputStream out, ObjectNode chunk) throws IOException {
        write(ex, out, "data: " + Json.MAPPER.writeValueAsString(chunk) + "\n\n");
    }

    /** Writes and flushes; a write that blocks longer than the timeout (a client that never reads) closes the connection. */
    private void write(HttpExchange ex, OutputStream out, String s) throws IOException {
        ScheduledFuture<?> watchdog = timer.schedule(ex::close, WRITE_TIMEOUT_S, TimeUnit.SECONDS);
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } finally {
            watchdog.cancel(false);
        }
    }
}
