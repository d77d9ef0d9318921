package sq.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

/**
 * The int8 linear ({@link Int8MatMul#matmul}) on weights held three ways, in one invocation for the ratios: a heap
 * array (today's layout), the same array as a heap segment, and a memory-mapped file (what a compressed-tensors
 * folder's weights are since they are used in place). Decode (tokens = 1) rotates over &gt;= 256 MB of weights, as
 * {@link Int8MatMulBench} does, so it streams from memory; the mapped file's pages are read once in set-up (they are
 * resident, in the page cache, as after the engine's warm-up). {@code kernels}: pure Java or native VNNI. Secondary
 * rate "weightGB": GB/s of int8 weights streamed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Int8SegmentBench {

    public enum Storage { ARRAY, HEAP_SEGMENT, MAPPED }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double weightGB;
    }

    private static final long ROTATION_BYTES = 256L << 20;

    @Param
    public Storage storage;

    @Param({"JAVA", "NATIVE"})
    public Int8Kernels.Mode kernels;

    /** out x in: TinyLlama's gate/up projection. */
    @Param({"5632x2048"})
    public String shape;

    @Param({"1", "256"})
    public int tokens;

    private int in, out, next;
    private byte[][] arrays;
    private MemorySegment[] segments;
    private Arena arena;
    private Path file;
    private float[] wScale, xScale, y;
    private byte[] xq;
    private double weightGBPerCall;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Int8Kernels.select(kernels, "the benchmark");
        String[] dims = shape.split("x");
        out = Integer.parseInt(dims[0]);
        in = Integer.parseInt(dims[1]);
        int n = tokens == 1 ? (int) Math.max(1, ROTATION_BYTES / ((long) in * out)) : 1, size = out * in;
        Random rnd = new Random(42);
        arrays = new byte[n][];
        segments = new MemorySegment[n];
        if (storage == Storage.MAPPED) {
            file = Files.createTempFile("sq-int8-bench", ".bin");
            byte[] chunk = new byte[size];
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (int c = 0; c < n; c++) {
                    rnd.nextBytes(chunk);
                    ch.write(java.nio.ByteBuffer.wrap(chunk));
                }
            }
            arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) n * size, arena);
                all.load(); // resident, as the engine's weights are after its warm-up
                for (int c = 0; c < n; c++) segments[c] = all.asSlice((long) c * size, size);
            }
        } else {
            for (int c = 0; c < n; c++) {
                arrays[c] = new byte[size];
                rnd.nextBytes(arrays[c]);
                segments[c] = MemorySegment.ofArray(arrays[c]);
            }
        }
        wScale = new float[out];
        Arrays.fill(wScale, 1f / 127);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        xq = new byte[tokens * in];
        xScale = new float[tokens];
        Int8Quantize.perToken(x, 0, tokens, in, xq, 0, xScale, 0);
        y = new float[tokens * out];
        weightGBPerCall = (double) in * out / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (arena != null) arena.close();
        if (file != null) Files.deleteIfExists(file);
    }

    @Benchmark
    public void matmul(Rates rates) {
        if (storage == Storage.ARRAY) Int8MatMul.matmul(xq, xScale, tokens, arrays[next], 0, wScale, null, in, out, y);
        else Int8MatMul.matmul(xq, xScale, tokens, segments[next], wScale, null, in, out, y);
        next = next + 1 == segments.length ? 0 : next + 1;
        rates.weightGB += weightGBPerCall;
    }
}
