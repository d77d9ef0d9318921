package sq.engine;

import sq.model.KvCache;
import sq.model.KvMemory;
import sq.model.ModelConfig;
import sq.model.Transformer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process engine: submit a request, get its tokens through a listener; one thread runs steps of continuous
 * batching ({@link Scheduler}) over one {@link Transformer} ({@link Transformer#forwardBatch}: every linear one int8
 * GEMM over the batch, attention per sequence over its own cache). The KV memory is a {@link BlockPool} allocated here,
 * once; a sequence's cache is a block table into it, whose blocks go back the moment the sequence ends or is
 * cancelled. The HTTP server is a thin shell over this.
 */
public final class Engine implements AutoCloseable {
    private final Transformer model;
    private final EngineConfig config;
    private final BlockPool pool;
    private final Scheduler scheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition(), idle = lock.newCondition();
    private final Thread thread;
    private boolean accepting = true, stopped;
    private volatile int waitingNow, runningNow;
    private volatile long steps, stepTokens;

    public Engine(Transformer model, EngineConfig config) {
        ModelConfig cfg = model.config();
        if (config.maxContext() > cfg.maxPositions())
            throw new IllegalArgumentException("context " + config.maxContext() + " exceeds the model's " + cfg.maxPositions());
        this.model = model;
        this.config = config;
        this.pool = new BlockPool(new KvMemory(cfg, config.kvBlocks(), model.int8Engine()));
        this.scheduler = new Scheduler(pool, config.maxBatch(), config.tokenBudget());
        this.thread = Thread.ofPlatform().name("sq-engine").daemon().unstarted(this::loop);
    }

    /** KV bytes of one position over all layers: int8 keys and values with a float scale per kv head each, or floats. */
    public static long bytesPerPosition(ModelConfig cfg, boolean int8) {
        return KvMemory.bytesPerPosition(cfg, int8);
    }

    public Engine start() {
        thread.start();
        return this;
    }

    public boolean isRunning() {
        return thread.isAlive() && !stopped;
    }

    public Transformer model() {
        return model;
    }

    public EngineConfig config() {
        return config;
    }

    public BlockPool pool() {
        return pool;
    }

    /** A submitted request: cancel it to free its memory at the next step. */
    public interface Handle {
        void cancel();
    }

    /**
     * Queues a request; its tokens go to listener from the engine's thread.
     *
     * @throws IllegalArgumentException the request can never run (over the context, or more blocks than the pool)
     * @throws QueueFullException       the queue is full or the engine is shutting down
     */
    public Handle submit(GenerationRequest request, TokenListener listener) {
        int positions = Math.min(request.prompt().length + request.maxTokens(), config.maxContext());
        if (request.prompt().length >= config.maxContext())
            throw new IllegalArgumentException("the prompt has " + request.prompt().length + " tokens; the context is "
                    + config.maxContext() + " (prompt + at least one new token)");
        int blocks = BlockPool.blocksFor(positions);
        if (blocks > pool.total())
            throw new IllegalArgumentException("the request needs " + blocks + " KV blocks (" + positions + " positions) but the pool has "
                    + pool.total());
        Sequence s = new Sequence(request, listener, blocks);
        lock.lock();
        try {
            if (!accepting) throw new QueueFullException("the engine is shutting down", true);
            if (scheduler.waiting() >= config.maxQueue())
                throw new QueueFullException("the queue is full (" + config.maxQueue() + " requests waiting)", false);
            scheduler.enqueue(s);
            waitingNow = scheduler.waiting();
            wake.signal();
        } finally {
            lock.unlock();
        }
        return () -> {
            s.cancelled = true;
            lock.lock();
            try {
                wake.signal();
            } finally {
                lock.unlock();
            }
        };
    }

    public int waiting() {
        return waitingNow;
    }

    public int running() {
        return runningNow;
    }

    public long steps() {
        return steps;
    }

    /** Tokens fed over all steps (decode tokens plus prompt chunks). */
    public long stepTokens() {
        return stepTokens;
    }

    /** Waits until nothing is queued or running (e.g. to check that the pool is empty again); false on timeout. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (scheduler.running() + scheduler.waiting() > 0) {
                if (left <= 0) return false;
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admitting, lets what is queued and running finish within the deadline, cancels the rest, stops the
     * thread.
     */
    public void shutdown(Duration deadline) throws InterruptedException {
        lock.lock();
        try {
            accepting = false;
        } finally {
            lock.unlock();
        }
        if (!awaitIdle(deadline)) {
            lock.lock();
            try {
                for (Sequence s : scheduler.all()) s.cancelled = true;
                wake.signal();
            } finally {
                lock.unlock();
            }
            awaitIdle(Duration.ofSeconds(10));
        }
        close();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            stopped = true;
            accepting = false;
            wake.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            List<Scheduler.Work> work;
            List<Sequence> dropped;
            lock.lock();
            try {
                dropped = scheduler.dropCancelled();
                if (stopped) {
                    dropped.addAll(scheduler.all());
                    for (Sequence s : scheduler.all()) s.cancelled = true;
                    scheduler.dropCancelled();
                }
                work = stopped ? List.of() : scheduler.plan(s -> new KvCache(pool.memory(), s.table, cacheCapacity(s)));
                publishCounts();
                if (!stopped && work.isEmpty() && dropped.isEmpty()) {
                    wake.awaitUninterruptibly();
                    continue;
                }
            } finally {
                lock.unlock();
            }
            for (Sequence s : dropped) s.listener.onFinish(FinishReason.CANCELLED, s.request.prompt().length, s.generated);
            if (stopped) return;
            if (!work.isEmpty()) step(work);
        }
    }

    private int cacheCapacity(Sequence s) {
        return Math.min(s.blocks * BlockPool.BLOCK, config.maxContext());
    }

    private void publishCounts() {
        waitingNow = scheduler.waiting();
        runningNow = scheduler.running();
        if (scheduler.running() + scheduler.waiting() == 0) idle.signalAll();
    }

    /** Runs one step and hands each sampled token on; sequences that end give their blocks back. */
    private void step(List<Scheduler.Work> work) {
        int n = work.size();
        int[][] tokens = new int[n][];
        KvCache[] caches = new KvCache[n];
        boolean[] want = new boolean[n];
        long fed = 0;
        for (int i = 0; i < n; i++) {
            Scheduler.Work w = work.get(i);
            tokens[i] = w.tokens();
            caches[i] = w.seq().cache;
            want[i] = w.sample();
            fed += tokens[i].length;
        }
        float[][] logits = model.forwardBatch(tokens, caches, want);
        steps++;
        stepTokens += fed;
        List<Sequence> ended = new ArrayList<>();
        List<FinishReason> reasons = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sequence s = work.get(i).seq();
            if (s.state == Sequence.State.PREFILL) {
                s.prefilled += tokens[i].length;
                if (s.prefilled == s.request.prompt().length) s.state = Sequence.State.DECODE;
            }
            if (!want[i] || s.cancelled) continue;
            int id = s.sample(logits[i]);
            s.generated++;
            GenerationRequest r = s.request;
            if (r.stopIds().contains(id)) {
                ended.add(s);
                reasons.add(FinishReason.STOP);
                continue;
            }
            s.listener.onToken(id, r.topLogprobs() < 0 ? null : TokenLogprobs.of(logits[i], id, r.topLogprobs()));
            s.last = id;
            if (s.generated >= r.maxTokens() || s.cache.length() + 1 > s.cache.capacity()) {
                ended.add(s);
                reasons.add(FinishReason.LENGTH);
            }
        }
        if (ended.isEmpty()) return;
        lock.lock();
        try {
            for (Sequence s : ended) scheduler.finish(s);
            publishCounts();
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < ended.size(); i++) {
            Sequence s = ended.get(i);
            s.listener.onFinish(reasons.get(i), s.request.prompt().length, s.generated);
        }
    }
}
