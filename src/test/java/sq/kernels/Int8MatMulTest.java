package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** On the pure-Java kernels; {@link Int8MatMulNativeTest} runs every test here again on the native ones. */
class Int8MatMulTest {

    private Int8Kernels.State kernels;

    /** The kernels under test. */
    Int8Kernels.Mode mode() {
        return Int8Kernels.Mode.JAVA;
    }

    @BeforeEach
    void selectKernels() {
        kernels = Int8Kernels.state();
        Int8Kernels.select(mode(), "the test");
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(0);
        Int8Kernels.restore(kernels);
    }

    static List<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        for (int T : new int[]{1, 2, 3, 7, 64, 65}) {
            for (int in : new int[]{1, 3, 17, 63, 64, 65, 100, 257, 1000}) {
                for (int out : new int[]{1, 5, 33, 64}) cases.add(Arguments.of(T, in, out));
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "T={0} in={1} out={2}")
    @MethodSource("shapes")
    void accumulatorsEqualScalarReference(int T, int in, int out) {
        Random rnd = new Random(31L * T + 7L * in + out);
        byte[] x = random(rnd, T * in), w = random(rnd, out * in);
        int[] acc = new int[T * out];
        Int8MatMul.accumulate(x, T, w, in, out, acc);
        assertThat(acc).containsExactly(reference(x, 0, in, T, w, 0, in, in, out));
    }

    /** -128 * -128 everywhere is the largest product; long rows cross GEMM blocks (384 inputs) and reach ~2^31. */
    @ParameterizedTest(name = "T={0} in={1} x={2} w={3}")
    @CsvSource({"1, 1000, -128, -128", "5, 1000, -128, -128", "5, 1000, 127, -128", "5, 1000, 127, 127", "9, 385, -128, 127",
            "1, 131000, -128, -128", "4, 131000, -128, -128", "3, 131000, 127, -128", "2, 64, -128, -128"})
    void extremeValuesAreExact(int T, int in, byte xv, byte wv) {
        int out = 37;
        byte[] x = new byte[T * in], w = new byte[out * in];
        Arrays.fill(x, xv);
        Arrays.fill(w, wv);
        int[] acc = new int[T * out];
        Int8MatMul.accumulate(x, T, w, in, out, acc);
        int[] expected = new int[T * out];
        Arrays.fill(expected, in * xv * wv);
        assertThat(acc).containsExactly(expected);
    }

    @ParameterizedTest(name = "T={0} threads={1}")
    @CsvSource({"1, 1", "1, 2", "13, 1", "13, 2", "130, 2"})
    void resultDoesNotDependOnThreads(int T, int threads) {
        Parallel.setThreads(threads);
        Random rnd = new Random(T);
        int in = 777, out = 301;
        byte[] x = random(rnd, T * in), w = random(rnd, out * in);
        int[] acc = new int[T * out];
        Int8MatMul.accumulate(x, T, w, in, out, acc);
        assertThat(acc).containsExactly(reference(x, 0, in, T, w, 0, in, in, out));
    }

    /** A column slice (one weight group) of larger matrices, at offsets. */
    @ParameterizedTest(name = "T={0} k={1}")
    @CsvSource({"1, 128", "6, 128", "6, 50", "1, 7"})
    void accumulatesColumnSlices(int T, int k) {
        Random rnd = new Random(k);
        int ldx = 400, ldw = 333, out = 45, xOff = 11, wOff = 60;
        byte[] x = random(rnd, xOff + T * ldx), w = random(rnd, wOff + out * ldw);
        int[] acc = new int[T * out];
        Int8MatMul.accumulate(x, xOff, ldx, T, w, wOff, ldw, k, out, acc);
        assertThat(acc).containsExactly(reference(x, xOff, ldx, T, w, wOff, ldw, k, out));
    }

    static List<Arguments> dequantCases() {
        List<Arguments> cases = new ArrayList<>();
        for (int T : new int[]{1, 5, 64}) {
            for (boolean perToken : new boolean[]{false, true}) {
                for (boolean perChannel : new boolean[]{false, true}) {
                    for (boolean bias : new boolean[]{false, true}) cases.add(Arguments.of(T, perToken, perChannel, bias));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "T={0} perToken={1} perChannel={2} bias={3}")
    @MethodSource("dequantCases")
    void dequantizedOutputIsWithinFloatRounding(int T, boolean perToken, boolean perChannel, boolean withBias) {
        Random rnd = new Random(T * 8L + (perToken ? 4 : 0) + (perChannel ? 2 : 0) + (withBias ? 1 : 0));
        int in = 300, out = 67;
        byte[] x = random(rnd, T * in), w = random(rnd, out * in);
        float[] xs = positive(rnd, perToken ? T : 1), ws = positive(rnd, perChannel ? out : 1);
        float[] bias = withBias ? Reference.random(rnd, out) : null;
        float[] y = new float[T * out];
        Int8MatMul.matmul(x, xs, T, w, 0, ws, bias, in, out, y);
        int[] acc = reference(x, 0, in, T, w, 0, in, in, out);
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double scaled = (double) acc[t * out + o] * xs[perToken ? t : 0] * ws[perChannel ? o : 0];
                double b = bias == null ? 0 : bias[o];
                // float rounding of acc, of xs*ws, of the product and of the bias add: a few ulps of the terms
                double tol = 4 * Math.ulp((float) Math.abs(scaled)) + Math.ulp((float) Math.abs(scaled + b));
                assertThat((double) y[t * out + o]).as("y[%d,%d]", t, o).isCloseTo(scaled + b, within(tol));
            }
        }
    }

    /** Weights packed once give the same bits as packing per call: shapes cross k blocks (384) and 32-column strips. */
    @ParameterizedTest(name = "T={0} in={1} out={2}")
    @CsvSource({"1, 300, 67", "2, 5, 3", "7, 385, 33", "33, 1000, 100", "4, 384, 32", "5, 131000, 9"})
    void prePackedWeightsGiveTheSameOutputs(int T, int in, int out) {
        Random rnd = new Random(T + in + out);
        byte[] x = random(rnd, T * in), w = random(rnd, out * in);
        float[] xs = positive(rnd, T), ws = positive(rnd, out), bias = Reference.random(rnd, out);
        float[] want = new float[T * out], got = new float[T * out];
        Int8MatMul.matmul(x, xs, T, w, 0, ws, bias, in, out, want);
        Int8PackedWeights packed = Int8PackedWeights.of(w, 0, in, out);
        Int8MatMul.matmul(x, xs, T, w, 0, packed, ws, bias, in, out, got);
        assertThat(got).isEqualTo(want);
        // the same weights as a slice of a larger array (one array per decoder layer)
        byte[] shared = new byte[w.length + 13];
        System.arraycopy(w, 0, shared, 7, w.length);
        Int8MatMul.matmul(x, xs, T, shared, 7, ws, bias, in, out, got);
        assertThat(got).isEqualTo(want);
        Int8MatMul.matmul(x, xs, T, shared, 7, Int8PackedWeights.of(shared, 7, in, out), ws, bias, in, out, got);
        assertThat(got).isEqualTo(want);
        // triples: 8 bytes per 3 weights; the native layout: 1 byte per weight (plus padding and column sums)
        assertThat(packed.bytes()).isGreaterThanOrEqualTo(mode() == Int8Kernels.Mode.JAVA ? 8L * ((in + 2) / 3) * out : (long) in * out);
        assertThatThrownBy(() -> Int8MatMul.matmul(x, xs, T, w, 0, Int8PackedWeights.of(w, 0, in, 1), ws, bias, in, out, got))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packed weights are 1x" + in);
    }

    /**
     * Weights in a segment (off-heap at an odd address, as in a mapped file, and on the heap) give the bits of the array
     * entry points: every shape of {@link #shapes}, the column slices of a weight group, a dequantized linear.
     */
    @ParameterizedTest(name = "T={0} in={1} out={2}")
    @MethodSource("shapes")
    void weightsInASegmentGiveTheSameBits(int T, int in, int out) {
        Random rnd = new Random(17L * T + 5L * in + out);
        byte[] x = random(rnd, T * in), w = random(rnd, out * in);
        int[] want = reference(x, 0, in, T, w, 0, in, in, out);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment offHeap = arena.allocate(w.length + 3L, 1).asSlice(3); // unaligned, like a tensor in a file
            offHeap.copyFrom(MemorySegment.ofArray(w));
            for (MemorySegment seg : new MemorySegment[]{offHeap, MemorySegment.ofArray(w)}) {
                int[] acc = new int[T * out];
                Int8MatMul.accumulate(x, 0, in, T, seg, 0, in, in, out, acc);
                assertThat(acc).as(seg.isNative() ? "native" : "heap").containsExactly(want);
            }
            float[] xs = positive(rnd, T), ws = positive(rnd, out), bias = Reference.random(rnd, out);
            float[] y = new float[T * out], ySeg = new float[T * out];
            Int8MatMul.matmul(x, xs, T, w, 0, ws, bias, in, out, y);
            Int8MatMul.matmul(x, xs, T, offHeap, ws, bias, in, out, ySeg);
            assertThat(ySeg).isEqualTo(y);
            // a column slice at an offset (one weight group of a per-group linear)
            if (in > 2) {
                int k = in / 2, k0 = in - k;
                int[] acc = new int[T * out];
                Int8MatMul.accumulate(x, k0, in, T, offHeap, k0, in, k, out, acc);
                assertThat(acc).containsExactly(reference(x, k0, in, T, w, k0, in, k, out));
            }
        }
    }

    @Test
    void segmentsTooShortForTheWeightsAreRefused() {
        byte[] x = new byte[10];
        float[] one = {1};
        MemorySegment w = MemorySegment.ofArray(new byte[19]);
        assertThatThrownBy(() -> Int8MatMul.matmul(x, one, 2, w, one, null, 5, 4, new float[8])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Int8MatMul.accumulate(x, 0, 5, 2, w, 1, 5, 5, 4, new int[8])).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void emptyInnerDimensionGivesBias() {
        float[] y = new float[6];
        Int8MatMul.matmul(new byte[0], new float[]{1}, 2, new byte[0], 0, new float[]{1}, new float[]{1, 2, 3}, 0, 3, y);
        assertThat(y).containsExactly(1, 2, 3, 1, 2, 3);
    }

    @Test
    void rejectsBadArguments() {
        byte[] x = new byte[10], w = new byte[20];
        float[] one = {1};
        assertThatThrownBy(() -> Int8MatMul.matmul(x, one, 3, w, 0, one, null, 5, 4, new float[12]))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Int8MatMul.matmul(x, new float[3], 2, w, 0, one, null, 5, 4, new float[8]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("xScale");
        assertThatThrownBy(() -> Int8MatMul.matmul(x, one, 2, w, 0, new float[2], null, 5, 4, new float[8]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wScale");
        assertThatThrownBy(() -> Int8MatMul.accumulate(x, 2, w, 5, 4, new int[7])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Int8MatMul.accumulate(x, 0, 4, 2, w, 0, 5, 5, 4, new int[8])).isInstanceOf(IllegalArgumentException.class);
    }

    /** acc[t*out + o] = sum_{i &lt; k} x[xOff + t*ldx + i] * w[wOff + o*ldw + i], in long, checked to fit an int. */
    static int[] reference(byte[] x, int xOff, int ldx, int T, byte[] w, int wOff, int ldw, int k, int out) {
        int[] acc = new int[T * out];
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                long s = 0;
                for (int i = 0; i < k; i++) s += x[xOff + t * ldx + i] * w[wOff + o * ldw + i];
                acc[t * out + o] = Math.toIntExact(s);
            }
        }
        return acc;
    }

    static byte[] random(Random rnd, int n) {
        byte[] a = new byte[n];
        rnd.nextBytes(a);
        return a;
    }

    private static float[] positive(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (0.5f + rnd.nextFloat()) / 127f;
        return a;
    }
}
