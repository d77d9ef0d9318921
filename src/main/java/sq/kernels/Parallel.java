package sq.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A tiny fixed pool for data-parallel kernels: {@link #forRange} splits [0, n) into one contiguous chunk per
 * thread and the caller runs the first chunk itself.
 *
 * <p>A decode step calls this ~150 times per token, so hand-off has to cost microseconds, not the tens of
 * microseconds of an executor: workers spin on a volatile generation counter for a short while after each task
 * and only then park. Nested or concurrent calls (the pool is busy) simply run inline on the calling thread.
 */
public final class Parallel {

    /** Body of a parallel loop: handles indices [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** How long an idle worker (or a waiting caller) spins before parking; covers the gaps between kernels of one step. */
    private static final long SPIN_NANOS = 200_000;

    /** Work below this many operations (a few microseconds) is not worth waking a worker for. */
    private static final long SERIAL_COST = 1 << 15;

    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static volatile Pool pool = new Pool(Runtime.getRuntime().availableProcessors());

    private Parallel() {
    }

    /** Number of threads a {@link #forRange} uses, the caller included. */
    public static int threads() {
        return pool.workers.length + 1;
    }

    /**
     * Resizes the pool (e.g. from a {@code --threads} option); n &lt;= 0 means one per available core. Waits for a
     * running {@link #forRange} to finish, so it must not be called from inside one.
     */
    public static synchronized void setThreads(int n) {
        int want = n > 0 ? n : Runtime.getRuntime().availableProcessors();
        if (want == threads()) return;
        while (!BUSY.compareAndSet(false, true)) Thread.onSpinWait();
        try {
            pool.shutdown();
            pool = new Pool(want);
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} contiguous chunks of near-equal size, and returns
     * when all chunks are done. The first exception thrown by any chunk is rethrown here.
     */
    public static void forRange(int n, RangeBody body) {
        if (n <= 0) return;
        if (n == 1 || !BUSY.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Pool p = pool; // read under BUSY: setThreads cannot swap it now
            int chunks = Math.min(n, p.workers.length + 1);
            if (chunks == 1) body.run(0, n);
            else p.run(n, chunks, body);
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * Like {@link #forRange(int, RangeBody)}, but runs on the caller alone when the whole range costs less than a
     * hand-off (cost: rough count of inner-loop operations, e.g. multiply-adds).
     */
    public static void forRange(int n, long cost, RangeBody body) {
        if (cost < SERIAL_COST) {
            if (n > 0) body.run(0, n);
        } else {
            forRange(n, body);
        }
    }

    /** Start of chunk c when [0, n) is cut into k chunks whose sizes differ by at most one. */
    private static int bound(int n, int k, int c) {
        return (int) ((long) n * c / k);
    }

    private static final class Pool {
        final Worker[] workers;
        final AtomicInteger pending = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Pool(int threads) {
            workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this);
                Thread t = new Thread(workers[i], "sq-kernel-" + (i + 1));
                t.setDaemon(true);
                workers[i].thread = t;
                t.start();
            }
        }

        void run(int n, int chunks, RangeBody body) {
            pending.set(chunks - 1);
            for (int c = 1; c < chunks; c++) workers[c - 1].submit(body, bound(n, chunks, c), bound(n, chunks, c + 1));
            try {
                body.run(0, bound(n, chunks, 1));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            awaitWorkers();
            Throwable t = failure.getAndSet(null);
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        }

        private void awaitWorkers() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (pending.get() != 0) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                // Publish ourselves, then re-check: the last worker unparks us if it finishes after this point.
                waiter = Thread.currentThread();
                if (pending.get() != 0) LockSupport.park(this);
                waiter = null;
            }
        }

        void done() {
            if (pending.decrementAndGet() == 0) {
                Thread w = waiter;
                if (w != null) LockSupport.unpark(w);
            }
        }

        void shutdown() {
            for (Worker w : workers) w.submit(null, 0, 0);
        }
    }

    private static final class Worker implements Runnable {
        private final Pool pool;
        Thread thread;
        private RangeBody body;
        private int start, end;
        /** Bumped once per task; the volatile write publishes body/start/end. */
        private volatile int generation;
        private volatile boolean parked;

        Worker(Pool pool) {
            this.pool = pool;
        }

        void submit(RangeBody b, int s, int e) {
            body = b;
            start = s;
            end = e;
            generation++;
            if (parked) LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                seen = awaitTask(seen);
                RangeBody b = body;
                if (b == null) return;
                try {
                    b.run(start, end);
                } catch (Throwable t) {
                    pool.failure.compareAndSet(null, t);
                }
                pool.done();
            }
        }

        private int awaitTask(int seen) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            int g;
            while ((g = generation) == seen) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                // Same handshake as the caller's wait: flag first, then re-check, so an unpark is never lost.
                parked = true;
                if (generation == seen) LockSupport.park(this);
                parked = false;
            }
            return g;
        }
    }
}
