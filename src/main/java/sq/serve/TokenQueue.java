package sq.serve;

import sq.engine.FinishReason;
import sq.engine.TokenListener;
import sq.engine.TokenLogprobs;

import java.util.concurrent.LinkedBlockingQueue;

/**
 * Hands a request's tokens from the engine's thread to the request's own (virtual) thread, never blocking the
 * engine: at most max_tokens events pile up when a client reads slowly. Times are taken here, when the engine
 * produces each token, for the latency histograms.
 */
final class TokenQueue implements TokenListener {
    sealed interface Event permits Token, Finish {
    }

    record Token(int id, TokenLogprobs logprobs) implements Event {
    }

    record Finish(FinishReason reason, int promptTokens, int completionTokens) implements Event {
    }

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final Metrics metrics;
    private final long arrival;
    private long lastToken;

    TokenQueue(Metrics metrics, long arrivalNanos) {
        this.metrics = metrics;
        this.arrival = arrivalNanos;
    }

    @Override
    public void onToken(int id, TokenLogprobs logprobs) {
        long now = System.nanoTime();
        if (lastToken == 0) metrics.ttft.observe((now - arrival) / 1e9);
        else metrics.itl.observe((now - lastToken) / 1e9);
        lastToken = now;
        metrics.completionTokens.increment();
        queue.add(new Token(id, logprobs));
    }

    @Override
    public void onFinish(FinishReason reason, int promptTokens, int completionTokens) {
        queue.add(new Finish(reason, promptTokens, completionTokens));
    }

    Event take() throws InterruptedException {
        return queue.take();
    }
}
