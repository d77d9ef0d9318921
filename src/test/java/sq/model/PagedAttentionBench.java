package sq.model;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode step's int8 attention of one layer at TinyLlama's shape (32 heads, 4 kv heads, head dim 64) over
 * positions keys, through a block table in order in a memory of its own (one run: one kernel call per BMM and kv
 * head, as the contiguous cache), as one run in the middle of the serving pool's 1024 blocks (the transposed values'
 * rows then 16 KB apart), or scattered (every block its own run: the worst a fragmented pool can do). One thread. In sq.model (not sq.bench) for
 * the package-private layer caches. {@code tools/jmh PagedAttentionBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PagedAttentionBench {
    public enum Table { IN_ORDER, POOL_RUN, SCATTERED }

    @Param({"160", "512"})
    public int positions;

    @Param
    public Table table;

    private final ModelConfig cfg = new ModelConfig(new Llama(), 2048, 1, 32, 4, 64, 5632, 100, 2048, 1e-5f, 10000.0, false, 1, 2);
    private LayerCache cache;
    private float[] q, out;

    @Setup
    public void setup() {
        sq.kernels.Parallel.setThreads(1); // the calls' own cost: thread hand-offs would swamp it on a shared host
        int n = KvMemory.blocksFor(positions);
        cache = switch (table) {
            case IN_ORDER -> LayerCache.create(cfg, positions, true);
            case POOL_RUN -> {
                int[] t = new int[n];
                for (int i = 0; i < n; i++) t[i] = 512 + i;
                yield LayerCache.Memory.allocate(cfg, 1024, true).through(t);
            }
            case SCATTERED -> LayerCache.Memory.allocate(cfg, 2 * n, true).through(PagedKvTest.scrambled(n, 2 * n));
        };
        Random r = new Random(1);
        float[] k = new float[positions * cfg.kvDim()], v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        cache.store(k, v, positions, 0);
        q = new float[cfg.qDim()];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        out = new float[cfg.qDim()];
    }

    @Benchmark
    public float[] decodeStep() {
        cache.attend(q, out, 1, positions - 1, Attention.standard(64));
        return out;
    }
}
