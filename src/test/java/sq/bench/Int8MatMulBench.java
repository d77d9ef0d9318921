package sq.bench;

import java.util.Arrays;
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
import sq.kernels.Int8Kernels;
import sq.kernels.Int8MatMul;
import sq.kernels.Int8Quantize;
import sq.kernels.VnniIsa;

/**
 * The int8 W8A8 linear ({@link Int8MatMul}) at the shapes of {@link MatMulBench}, so both run in one invocation:
 * {@code tools/jmh 'MatMulBench'} matches this class too. Secondary rates: "gop" (GOP/s, 2*T*in*out per call, the
 * int8 counterpart of MatMulBench's gflop) and "weightGB" (GB/s of int8 weights streamed; compare decode with
 * {@link BandwidthBench}).
 *
 * <p>KERNEL times the matmul on already-quantized activations; LINEAR adds their per-token quantization, i.e. what
 * an {@code Int8Linear} forward costs. Decode rotates over &gt;= 256 MB of weights, as MatMulBench does.
 * {@code kernels} picks the pure-Java or the native VNNI kernels on one instruction set ({@code -p kernels=avx512-vnni},
 * {@code avx-vnni}, or {@code native}: the best one); {@link VnniPeakBench} measures each set's peak beside them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Int8MatMulBench {

    public enum Impl { KERNEL, LINEAR }

    /** Rates per second: JMH divides these per-call counts by time. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gop;
        public double weightGB;
    }

    private static final long ROTATION_BYTES = 256L << 20;

    @Param
    public Impl impl;

    @Param({"java", "avx512-vnni", "avx-vnni"})
    public String kernels;

    /** out x in, as in MatMulBench. */
    @Param({"2048x2048", "5632x2048", "2048x5632", "4096x4096", "11008x4096"})
    public String shape;

    @Param({"1", "256"})
    public int tokens;

    private int in, out, next;
    private byte[][] weights;
    private float[] wScale, x, xScale, y;
    private byte[] xq;
    private double gopPerCall, weightGBPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        select(kernels);
        String[] dims = shape.split("x");
        out = Integer.parseInt(dims[0]);
        in = Integer.parseInt(dims[1]);
        Random rnd = new Random(42);
        weights = new byte[tokens == 1 ? (int) Math.max(1, ROTATION_BYTES / ((long) in * out)) : 1][];
        for (int c = 0; c < weights.length; c++) {
            weights[c] = new byte[out * in];
            rnd.nextBytes(weights[c]);
        }
        wScale = new float[out];
        Arrays.fill(wScale, 1f / 127);
        x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        xq = new byte[tokens * in];
        xScale = new float[tokens];
        Int8Quantize.perToken(x, 0, tokens, in, xq, 0, xScale, 0);
        y = new float[tokens * out];
        gopPerCall = 2.0 * tokens * in * out / 1e9;
        weightGBPerCall = (double) in * out / 1e9;
    }

    /** java / native / auto as {@link Int8Kernels#parse}, or native on the named {@link VnniIsa}. */
    static void select(String kernels) {
        VnniIsa isa = VnniIsa.parse(kernels);
        if (isa != null) VnniIsa.use(isa);
        Int8Kernels.select(isa != null ? Int8Kernels.Mode.NATIVE : Int8Kernels.parse(kernels), "the benchmark");
    }

    @Benchmark
    public void matmul(Rates rates) {
        if (impl == Impl.LINEAR) Int8Quantize.perToken(x, 0, tokens, in, xq, 0, xScale, 0);
        Int8MatMul.matmul(xq, xScale, tokens, weights[next], 0, wScale, null, in, out, y);
        next = next + 1 == weights.length ? 0 : next + 1;
        rates.gop += gopPerCall;
        rates.weightGB += weightGBPerCall;
    }
}
