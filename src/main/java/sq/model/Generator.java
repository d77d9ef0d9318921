package sq.model;

import java.util.function.IntPredicate;

/** Prefill the prompt in one batch, then decode one token at a time, handing each to a callback. */
public final class Generator {
    public record Stats(int promptTokens, int generated, double prefillSeconds, double decodeSeconds) {
    }

    private Generator() {
    }

    /**
     * @param onToken gets each new token id; returning false stops (e.g. at end of sequence)
     */
    public static Stats generate(Transformer model, int[] prompt, int maxNew, Sampler sampler, IntPredicate onToken) {
        KvCache cache = model.newCache(Math.min(model.config().maxPositions(), prompt.length + maxNew));
        long t0 = System.nanoTime();
        float[] logits = model.forward(prompt, cache, false);
        long t1 = System.nanoTime();
        int n = 0;
        while (n < maxNew) {
            int next = sampler.next(logits);
            n++;
            if (!onToken.test(next) || cache.length() >= cache.capacity()) break;
            logits = model.forward(new int[]{next}, cache, false);
        }
        return new Stats(prompt.length, n, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }
}
