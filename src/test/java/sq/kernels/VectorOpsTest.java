package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each op against a scalar loop, on lengths around the vector width and at odd offsets. */
class VectorOpsTest {

    private static final int A = 3, B = 5; // offsets

    private static float[] data(int n, long seed) {
        return Reference.random(new Random(seed), n + 8);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 1000})
    void dot(int n) {
        float[] a = data(n, 1), b = data(n, 2);
        double expected = 0, mag = 0;
        for (int i = 0; i < n; i++) {
            expected += (double) a[A + i] * b[B + i];
            mag += Math.abs((double) a[A + i] * b[B + i]);
        }
        assertThat((double) VectorOps.dot(a, A, b, B, n)).isCloseTo(expected, within(1e-6 * mag + 1e-9));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 1000})
    void sumOfSquares(int n) {
        float[] a = data(n, 3);
        double expected = 0;
        for (int i = 0; i < n; i++) expected += (double) a[A + i] * a[A + i];
        assertThat((double) VectorOps.sumOfSquares(a, A, n)).isCloseTo(expected, within(1e-6 * expected + 1e-9));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 1000})
    void axpy(int n) {
        float[] x = data(n, 4), y = data(n, 5), expected = y.clone();
        for (int i = 0; i < n; i++) expected[B + i] = Math.fma(0.75f, x[A + i], y[B + i]);
        VectorOps.axpy(0.75f, x, A, y, B, n);
        assertThat(y).containsExactly(expected, within(1e-6f));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 1000})
    void scale(int n) {
        float[] x = data(n, 6), expected = x.clone();
        for (int i = 0; i < n; i++) expected[A + i] *= -1.5f;
        VectorOps.scale(-1.5f, x, A, n);
        assertThat(x).containsExactly(expected);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 1000})
    void addAndMul(int n) {
        float[] x = data(n, 7), y = data(n, 8), sum = y.clone(), prod = y.clone();
        for (int i = 0; i < n; i++) {
            sum[B + i] += x[A + i];
            prod[B + i] *= x[A + i];
        }
        float[] y2 = y.clone();
        VectorOps.add(x, A, y, B, n);
        VectorOps.mul(x, A, y2, B, n);
        assertThat(y).containsExactly(sum);
        assertThat(y2).containsExactly(prod);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 33, 100, 1000})
    void max(int n) {
        float[] x = data(n, 9);
        float expected = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) expected = Math.max(expected, x[A + i]);
        assertThat(VectorOps.max(x, A, n)).isEqualTo(expected);
    }

    @Test
    void maxOfNothingIsAnError() {
        assertThatThrownBy(() -> VectorOps.max(new float[4], 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 33, 100, 1000})
    void softmax(int n) {
        float[] x = data(n, 10);
        for (int i = 0; i < x.length; i++) x[i] *= 30; // wide range: exp would overflow without the max shift
        float[] original = x.clone();
        VectorOps.softmax(x, A, n);
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, original[A + i]);
        for (int i = 0; i < n; i++) sum += Math.exp(original[A + i] - m);
        double total = 0;
        for (int i = 0; i < n; i++) {
            assertThat((double) x[A + i]).isCloseTo(Math.exp(original[A + i] - m) / sum, within(1e-6));
            total += x[A + i];
        }
        assertThat(total).isCloseTo(1.0, within(1e-5));
        for (int i = 0; i < A; i++) assertThat(x[i]).isEqualTo(original[i]);
        for (int i = A + n; i < x.length; i++) assertThat(x[i]).isEqualTo(original[i]);
    }

    @Test
    void softmaxGivesZeroToMaskedPositions() {
        float[] x = {1f, Float.NEGATIVE_INFINITY, 1f, Float.NEGATIVE_INFINITY};
        VectorOps.softmax(x, 0, 4);
        assertThat(x).containsExactly(0.5f, 0f, 0.5f, 0f);
    }
}
