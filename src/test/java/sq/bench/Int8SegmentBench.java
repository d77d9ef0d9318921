package sq.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import sq.kernels.Int8Kernels;
import sq.kernels.Int8MatMul;
import sq.kernels.Int8Quantize;
import sq.kernels.Parallel;

/**
 * The int8 linear ({@link Int8MatMul#matmul}) on weights in a heap array (as copied at load before) and in a
 * memory-mapped file (a compressed-tensors folder's weights, used in place), measured AT THE SAME TIME: one JMH group,
 * one thread each ({@code array} and {@code mapped}, kernels on the calling thread), so that the load of a shared
 * host falls on both alike and their ratio holds where sequential runs drift by more than the difference. Both
 * threads share the memory bus, so the decode rates are each under half the machine's bandwidth; compare them with
 * each other, not with {@link BandwidthBench}.
 *
 * <p>Decode (tokens = 1) rotates over &gt;= 256 MB of weights per storage (so it streams from memory); the mapped
 * file's pages are read once in set-up (resident, as after the engine's warm-up). {@code kernels}: pure Java or
 * native VNNI. Secondary rate "weightGB": GB/s of int8 weights streamed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Int8SegmentBench {

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double weightGB;
    }

    /** One thread's position in its rotation. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    private static final long ROTATION_BYTES = 256L << 20;

    @Param({"JAVA", "NATIVE"})
    public Int8Kernels.Mode kernels;

    /** out x in: TinyLlama's gate/up projection. */
    @Param({"5632x2048"})
    public String shape;

    @Param({"1", "256"})
    public int tokens;

    private int in, out;
    private byte[][] arrays;
    private MemorySegment[] mapped;
    private Arena arena;
    private Path file;
    private float[] wScale, xScale;
    private byte[] xq;
    private double weightGBPerCall;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Int8Kernels.select(kernels, "the benchmark");
        Parallel.setThreads(1); // each group thread runs its kernel itself
        String[] dims = shape.split("x");
        out = Integer.parseInt(dims[0]);
        in = Integer.parseInt(dims[1]);
        int n = tokens == 1 ? (int) Math.max(1, ROTATION_BYTES / ((long) in * out)) : 1, size = out * in;
        Random rnd = new Random(42);
        arrays = new byte[n][];
        for (int c = 0; c < n; c++) {
            arrays[c] = new byte[size];
            rnd.nextBytes(arrays[c]);
        }
        file = Files.createTempFile("sq-int8-bench", ".bin");
        byte[] chunk = new byte[size];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int c = 0; c < n; c++) {
                rnd.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk));
            }
        }
        arena = Arena.ofShared();
        mapped = new MemorySegment[n];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) n * size, arena);
            all.load(); // resident, as the engine's weights are after its warm-up
            for (int c = 0; c < n; c++) mapped[c] = all.asSlice((long) c * size, size);
        }
        wScale = new float[out];
        Arrays.fill(wScale, 1f / 127);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        xq = new byte[tokens * in];
        xScale = new float[tokens];
        Int8Quantize.perToken(x, 0, tokens, in, xq, 0, xScale, 0);
        weightGBPerCall = (double) in * out / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        arena.close();
        Files.deleteIfExists(file);
    }

    /** Per-thread output (the two threads must not share y). */
    @State(Scope.Thread)
    public static class Out {
        float[] y;

        @Setup(Level.Trial)
        public void setUp(Int8SegmentBench b) {
            y = new float[b.tokens * b.out];
        }
    }

    @Benchmark
    @Group("storage")
    @GroupThreads(1)
    public void array(Cursor c, Out o, Rates rates) {
        Int8MatMul.matmul(xq, xScale, tokens, arrays[c.next], 0, wScale, null, in, out, o.y);
        c.next = c.next + 1 == arrays.length ? 0 : c.next + 1;
        rates.weightGB += weightGBPerCall;
    }

    @Benchmark
    @Group("storage")
    @GroupThreads(1)
    public void mapped(Cursor c, Out o, Rates rates) {
        Int8MatMul.matmul(xq, xScale, tokens, mapped[c.next], wScale, null, in, out, o.y);
        c.next = c.next + 1 == mapped.length ? 0 : c.next + 1;
        rates.weightGB += weightGBPerCall;
    }
}
