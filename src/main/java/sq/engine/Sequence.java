package sq.engine;

import sq.model.KvCache;
import sq.model.Sampler;

import java.util.HashMap;
import java.util.Map;

/**
 * A request's state in the engine: WAITING (queued, no memory) -> PREFILL (blocks reserved, prompt going in by
 * chunks) -> DECODE (one token per step) -> FINISHED. A cancel is a flag the engine acts on before its next step.
 */
final class Sequence {
    enum State { WAITING, PREFILL, DECODE, FINISHED }

    final GenerationRequest request;
    final TokenListener listener;
    final int blocks;           // reserved from admission to the end
    int[] table;                // the physical blocks, while admitted
    final long submittedNanos;
    State state = State.WAITING;
    KvCache cache;
    int prefilled;              // prompt tokens already in the cache
    int generated;
    int last;                   // the token to feed next in DECODE
    private final Sampler sampler;
    private final Map<Integer, Integer> counts = new HashMap<>(); // generated id -> occurrences, for the penalties
    volatile boolean cancelled;

    Sequence(GenerationRequest request, TokenListener listener, int blocks) {
        this.request = request;
        this.listener = listener;
        this.blocks = blocks;
        this.submittedNanos = System.nanoTime();
        this.sampler = new Sampler(request.temperature(), request.topP(), request.seed());
    }

    /** The tokens this sequence feeds in a step, at most budget of them (budget >= 1). */
    int[] nextChunk(int budget) {
        if (state == State.DECODE) return new int[]{last};
        int n = Math.min(budget, request.prompt().length - prefilled);
        return java.util.Arrays.copyOfRange(request.prompt(), prefilled, prefilled + n);
    }

    /** Whether the chunk of n tokens ends the prompt (or is a decode step), i.e. the step's logits are needed. */
    boolean samplesAfter(int n) {
        return state == State.DECODE || prefilled + n == request.prompt().length;
    }

    /** Picks the next token from the logits of the last fed position, applying penalties and min_tokens. */
    int sample(float[] logits) {
        GenerationRequest r = request;
        float[] l = logits;
        if (r.presencePenalty() != 0 || r.frequencyPenalty() != 0 || generated < r.minTokens()) {
            l = logits.clone();
            for (var e : counts.entrySet()) l[e.getKey()] -= r.presencePenalty() + r.frequencyPenalty() * e.getValue();
            if (generated < r.minTokens()) for (int id : r.stopIds()) if (id >= 0 && id < l.length) l[id] = Float.NEGATIVE_INFINITY;
        }
        int id = sampler.next(l);
        counts.merge(id, 1, Integer::sum);
        return id;
    }
}
