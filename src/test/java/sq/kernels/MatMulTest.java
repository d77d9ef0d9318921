package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MatMulTest {

    /** Relative to sum |x*w|: a float sum of a few hundred terms errs by well under this; a wrong or missing term by far more. */
    private static final double TOLERANCE = 1e-5;
    private static final float SENTINEL = 12345.5f;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    static List<Arguments> oddShapes() {
        List<Arguments> cases = new ArrayList<>();
        for (int threads : new int[]{1, 2}) {
            for (int T : new int[]{1, 2, 3, 7, 64}) {
                for (int in : new int[]{1, 3, 17, 63, 100, 257}) {
                    for (int out : new int[]{1, 5, 33}) {
                        for (boolean bias : new boolean[]{false, true}) cases.add(Arguments.of(T, in, out, bias, threads));
                    }
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "T={0} in={1} out={2} bias={3} threads={4}")
    @MethodSource("oddShapes")
    void matchesReferenceOnOddShapes(int T, int in, int out, boolean bias, int threads) {
        Parallel.setThreads(threads);
        check(T, in, out, bias, 31L * T + 7L * in + out);
    }

    /** Shapes that cross k blocks (KC = 256), use the 16x16 packing path with tails, and give each thread several strips. */
    @ParameterizedTest(name = "T={0} in={1} out={2}")
    @MethodSource("blockedShapes")
    void matchesReferenceAcrossBlocks(int T, int in, int out) {
        check(T, in, out, true, 99);
    }

    static List<Arguments> blockedShapes() {
        return List.of(Arguments.of(19, 600, 100), Arguments.of(33, 512, 96), Arguments.of(16, 300, 70),
                Arguments.of(8, 256, 64), Arguments.of(1, 600, 101), Arguments.of(130, 129, 257), Arguments.of(2, 1000, 48));
    }

    /** Slices at offsets inside bigger arrays; Y outside its slice must stay untouched. */
    private static void check(int T, int in, int out, boolean withBias, long seed) {
        Random rnd = new Random(seed);
        int xOff = 3, wOff = 5, yOff = 7;
        float[] x = Reference.random(rnd, xOff + T * in + 2);
        float[] w = Reference.random(rnd, wOff + out * in + 2);
        float[] bias = withBias ? Reference.random(rnd, out) : null;
        float[] y = new float[yOff + T * out + 2];
        Arrays.fill(y, SENTINEL);
        float[] expected = new float[T * out];

        MatMul.matmul(x, xOff, T, w, wOff, bias, in, out, y, yOff);
        Reference.matmul(x, xOff, T, w, wOff, bias, in, out, expected, 0);

        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double tol = TOLERANCE * Reference.magnitude(x, xOff, w, wOff, bias, in, t, o);
                assertThat((double) y[yOff + t * out + o]).as("Y[%d,%d]", t, o).isCloseTo(expected[t * out + o], within(tol));
            }
        }
        for (int i = 0; i < yOff; i++) assertThat(y[i]).isEqualTo(SENTINEL);
        for (int i = yOff + T * out; i < y.length; i++) assertThat(y[i]).isEqualTo(SENTINEL);
    }

    /** Each output's summation order does not depend on how rows are split over threads. */
    @ParameterizedTest(name = "T={0}")
    @ValueSource(ints = {1, 13})
    void resultDoesNotDependOnThreadCount(int T) {
        Random rnd = new Random(T);
        int in = 300, out = 203;
        float[] x = Reference.random(rnd, T * in), w = Reference.random(rnd, out * in);
        float[] y1 = new float[T * out], y2 = new float[T * out];
        Parallel.setThreads(1);
        MatMul.matmul(x, T, w, null, in, out, y1);
        Parallel.setThreads(2);
        MatMul.matmul(x, T, w, null, in, out, y2);
        assertThat(y2).containsExactly(y1);
    }

    @Test
    void wholeArrayFormEqualsOffsetFormAtZero() {
        Random rnd = new Random(1);
        float[] x = Reference.random(rnd, 5 * 40), w = Reference.random(rnd, 24 * 40), b = Reference.random(rnd, 24);
        float[] y1 = new float[5 * 24], y2 = new float[5 * 24];
        MatMul.matmul(x, 5, w, b, 40, 24, y1);
        MatMul.matmul(x, 0, 5, w, 0, b, 40, 24, y2, 0);
        assertThat(y1).containsExactly(y2);
    }

    @Test
    void emptyInnerDimensionGivesBias() {
        float[] y = new float[6];
        MatMul.matmul(new float[0], 2, new float[0], new float[]{1, 2, 3}, 0, 3, y);
        assertThat(y).containsExactly(1, 2, 3, 1, 2, 3);
    }

    @Test
    void zeroTokensIsANoOp() {
        float[] y = {SENTINEL};
        MatMul.matmul(new float[0], 0, new float[4], null, 2, 2, y);
        assertThat(y).containsExactly(SENTINEL);
    }

    @Test
    void rejectsSlicesOutsideTheArrays() {
        float[] x = new float[10], w = new float[20], y = new float[4];
        assertThatThrownBy(() -> MatMul.matmul(x, 1, 2, w, 0, null, 5, 2, y, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> MatMul.matmul(x, 0, 2, w, 1, null, 5, 4, new float[8], 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> MatMul.matmul(x, 0, 2, w, 0, null, 5, 4, y, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> MatMul.matmul(x, 0, 2, w, 0, new float[3], 5, 4, new float[8], 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> MatMul.matmul(x, 0, -1, w, 0, null, 5, 4, y, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
