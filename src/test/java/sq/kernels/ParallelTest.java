package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    /** Runs forRange over [0, n) and returns how often each index was visited, checking chunks are contiguous and in range. */
    private static AtomicIntegerArray visit(int n) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
        Parallel.forRange(n, (s, e) -> {
            assertThat(s).isBetween(0, e);
            assertThat(e).isLessThanOrEqualTo(n);
            for (int i = s; i < e; i++) hits.incrementAndGet(i);
        });
        return hits;
    }

    private static void assertEachOnce(AtomicIntegerArray hits, int n) {
        for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("index %d", i).isEqualTo(1);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void coversEveryIndexExactlyOnce(int threads) {
        Parallel.setThreads(threads);
        assertThat(Parallel.threads()).isEqualTo(threads);
        for (int n : new int[]{0, 1, 2, 3, 5, 17, 1000, 100_003}) assertEachOnce(visit(n), n);
    }

    @Test
    void splitsIntoOneChunkPerThreadOfNearEqualSize() {
        Parallel.setThreads(3);
        List<int[]> chunks = java.util.Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(10, (s, e) -> chunks.add(new int[]{s, e}));
        assertThat(chunks).hasSize(3);
        chunks.forEach(c -> assertThat(c[1] - c[0]).isBetween(3, 4));
    }

    @Test
    void nestedCallsRunInlineAndCoverEverything() {
        Parallel.setThreads(2);
        int outer = 7, inner = 13;
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, (s, e) -> {
            for (int i = s; i < e; i++) {
                int row = i;
                Parallel.forRange(inner, (a, b) -> {
                    for (int j = a; j < b; j++) hits.incrementAndGet(row * inner + j);
                });
            }
        });
        assertEachOnce(hits, outer * inner);
    }

    @Test
    void concurrentCallersAllComplete() throws Exception {
        Parallel.setThreads(2);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<AtomicIntegerArray>> results = new ArrayList<>();
            for (int c = 0; c < 4; c++) results.add(callers.submit(() -> {
                AtomicIntegerArray last = null;
                for (int r = 0; r < 200; r++) last = visit(999);
                return last;
            }));
            for (Future<AtomicIntegerArray> f : results) assertEachOnce(f.get(), 999);
        } finally {
            callers.shutdown();
        }
    }

    @Test
    void manyQuickCallsAndCallsAfterWorkersParked() throws Exception {
        Parallel.setThreads(2);
        for (int r = 0; r < 20_000; r++) assertEachOnce(visit(2), 2);
        for (int r = 0; r < 5; r++) {
            Thread.sleep(5); // longer than the spin phase: workers are parked now
            assertEachOnce(visit(64), 64);
        }
    }

    @Test
    void rethrowsTheFirstFailureAndStaysUsable() {
        Parallel.setThreads(2);
        assertThatThrownBy(() -> Parallel.forRange(10, (s, e) -> {
            if (s > 0) throw new IllegalStateException("worker chunk");
        })).isInstanceOf(IllegalStateException.class).hasMessage("worker chunk");
        assertThatThrownBy(() -> Parallel.forRange(10, (s, e) -> {
            if (s == 0) throw new IllegalStateException("caller chunk");
        })).isInstanceOf(IllegalStateException.class).hasMessage("caller chunk");
        assertEachOnce(visit(10), 10);
    }

    @Test
    void usesWorkerThreadsThatAreDaemons() {
        Parallel.setThreads(2);
        ConcurrentHashMap<Thread, Boolean> seen = new ConcurrentHashMap<>();
        Parallel.forRange(2, (s, e) -> seen.put(Thread.currentThread(), true));
        assertThat(seen.keySet()).hasSize(2).contains(Thread.currentThread());
        seen.keySet().stream().filter(t -> t != Thread.currentThread()).forEach(t -> assertThat(t.isDaemon()).isTrue());
    }

    @Test
    void cheapRangesRunOnTheCaller() {
        Parallel.setThreads(2);
        ConcurrentHashMap<Thread, Boolean> seen = new ConcurrentHashMap<>();
        Parallel.forRange(100, 100, (s, e) -> seen.put(Thread.currentThread(), true));
        assertThat(seen.keySet()).containsExactly(Thread.currentThread());
    }

    @Test
    void defaultIsOneThreadPerCore() {
        Parallel.setThreads(0);
        assertThat(Parallel.threads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }
}
