package sq.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import sq.kernels.MatMul;

/**
 * Linear-layer kernels at LLM shapes. tokens = 1 is decode (GEMV), 256 is a prefill chunk (GEMM).
 * Besides calls/s, JMH prints the secondary rates "gflop" (GFLOP/s, 2*T*in*out per call) and "weightGB" (GB/s of
 * weights streamed, the decode bound to compare with {@link BandwidthBench}).
 *
 * <p>Decode rotates over enough copies of W (&gt;= 256 MB) that weights come from memory, as in a real model,
 * not from the last-level cache. To add a kernel, add an {@link Impl} constant: every constant is benchmarked.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class MatMulBench {

    /** A kernel under test: prepare(...) does any one-off weight conversion and returns the timed call. */
    public enum Impl {
        FP32 {
            @Override
            Runnable prepare(float[] x, int tokens, float[] w, int in, int out, float[] y) {
                return () -> MatMul.matmul(x, tokens, w, null, in, out, y);
            }

            @Override
            long weightBytes(int in, int out) {
                return 4L * in * out;
            }
        };

        abstract Runnable prepare(float[] x, int tokens, float[] w, int in, int out, float[] y);

        abstract long weightBytes(int in, int out);
    }

    /** Rates per second: JMH divides these per-call counts by time. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gflop;
        public double weightGB;
    }

    /** Weights streamed by decode per rotation: 8x a 32 MB last-level cache. */
    private static final long ROTATION_BYTES = 256L << 20;

    @Param
    public Impl impl;

    /** out x in (nn.Linear [out, in]): q/o-proj, gate/up, down, 7B q-proj, 7B gate/up. */
    @Param({"2048x2048", "5632x2048", "2048x5632", "4096x4096", "11008x4096"})
    public String shape;

    @Param({"1", "256"})
    public int tokens;

    private Runnable[] calls;
    private int next;
    private double gflopPerCall, weightGBPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        int out = Integer.parseInt(dims[0]), in = Integer.parseInt(dims[1]);
        Random rnd = new Random(42);
        float[] x = random(rnd, tokens * in);
        float[] y = new float[tokens * out];
        int copies = tokens == 1 ? (int) Math.max(1, ROTATION_BYTES / (4L * in * out)) : 1;
        calls = new Runnable[copies];
        for (int c = 0; c < copies; c++) calls[c] = impl.prepare(x, tokens, random(rnd, out * in), in, out, y);
        gflopPerCall = 2.0 * tokens * in * out / 1e9;
        weightGBPerCall = impl.weightBytes(in, out) / 1e9;
    }

    @Benchmark
    public void matmul(Rates rates) {
        calls[next].run();
        next = next + 1 == calls.length ? 0 : next + 1;
        rates.gflop += gflopPerCall;
        rates.weightGB += weightGBPerCall;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() - 0.5f;
        return a;
    }
}
