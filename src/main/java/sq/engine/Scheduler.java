package sq.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Continuous batching: before every step, requests waiting in arrival order are admitted while the running batch
 * has room (max batch) and the pool has their blocks; a step then takes every decoding sequence (one token each)
 * plus chunks of prompts being prefilled, up to a token budget per step. A request whose blocks are not free waits
 * (head of the line: later, smaller requests do not overtake it, so none starves); running ones are never preempted.
 * Used by the engine's thread only, except the counts.
 */
final class Scheduler {
    /** One sequence's share of a step. */
    record Work(Sequence seq, int[] tokens, boolean sample) {
    }

    private final BlockPool pool;
    private final int maxBatch, tokenBudget;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();

    Scheduler(BlockPool pool, int maxBatch, int tokenBudget) {
        if (tokenBudget < maxBatch) throw new IllegalArgumentException("token budget " + tokenBudget + " < max batch " + maxBatch);
        this.pool = pool;
        this.maxBatch = maxBatch;
        this.tokenBudget = tokenBudget;
    }

    void enqueue(Sequence s) {
        waiting.add(s);
    }

    int waiting() {
        return waiting.size();
    }

    int running() {
        return running.size();
    }

    /** Removes cancelled sequences (running ones give their blocks back); returns them. */
    List<Sequence> dropCancelled() {
        List<Sequence> dropped = new ArrayList<>();
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.cancelled) {
                it.remove();
                dropped.add(s);
            }
        }
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.cancelled) {
                it.remove();
                release(s);
                dropped.add(s);
            }
        }
        return dropped;
    }

    /** Ends a running sequence: its blocks go back to the pool at once. */
    void finish(Sequence s) {
        running.remove(s);
        release(s);
    }

    private void release(Sequence s) {
        s.state = Sequence.State.FINISHED;
        s.cache = null;
        pool.free(s.table);
        s.table = null;
    }

    /** Admits what fits (each admitted sequence's cache made on its block table), then the work of the next step (empty when nothing runs). */
    List<Work> plan(java.util.function.Function<Sequence, sq.model.KvCache> newCache) {
        int[] table;
        while (!waiting.isEmpty() && running.size() < maxBatch && (table = pool.allocate(waiting.peek().blocks)) != null) {
            Sequence s = waiting.poll();
            s.table = table;
            s.cache = newCache.apply(s);
            s.state = Sequence.State.PREFILL;
            running.add(s);
        }
        List<Work> work = new ArrayList<>();
        int budget = tokenBudget;
        for (Sequence s : running)
            if (s.state == Sequence.State.DECODE) {
                work.add(new Work(s, s.nextChunk(1), true));
                budget--;
            }
        for (Sequence s : running)
            if (s.state == Sequence.State.PREFILL && budget > 0) {
                int[] chunk = s.nextChunk(budget);
                work.add(new Work(s, chunk, s.samplesAfter(chunk.length)));
                budget -= chunk.length;
            }
        return work;
    }

    /** Everything still held, for a shutdown past its deadline. */
    List<Sequence> all() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }
}
