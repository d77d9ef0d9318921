package sq.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import sq.kernels.Int8Kernels;
import sq.kernels.VnniIsa;

/**
 * The int8 peak the GEMM is measured against: 1024 independent multiply-adds per iteration (16 vpdpbusd of 512 bits
 * on AVX-512 VNNI, 32 of 256 on AVX-VNNI, enough accumulators to cover the instruction's latency) on every
 * {@code Parallel} thread at once, for each instruction set ({@code isa}) the CPU has. "gop" counts 2 operations per multiply-add, as
 * {@link Int8MatMulBench} does. Run them together: {@code tools/jmh 'Int8MatMulBench|VnniPeakBench' -p tokens=256}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class VnniPeakBench {

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gop;
    }

    /** ~1 ms per call at 2 TOP/s. */
    private static final long ITERATIONS = 1 << 20;

    @Param({"avx512-vnni", "avx-vnni"})
    public String isa;

    @Setup
    public void setUp() {
        VnniIsa.use(VnniIsa.parse(isa));
    }

    @Benchmark
    public void peak(Rates rates) {
        rates.gop += Int8Kernels.vnniPeak(ITERATIONS) / 1e9;
    }
}
