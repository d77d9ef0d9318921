package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ActivationsTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    /**
     * Every element is within a few float roundings of the scalar formula in double, for sizes around the block and
     * the vector length, with 1 or 2 threads; the thread count does not change a bit.
     */
    @ParameterizedTest(name = "n={0} threads={1}")
    @CsvSource({"0, 2", "1, 2", "15, 1", "1023, 2", "1025, 2", "70001, 2", "70001, 1", "5632, 2"})
    void siluTimesAndReluEqualTheScalarFormula(int n, int threads) {
        Parallel.setThreads(threads);
        Random r = new Random(n);
        float[] a = new float[n + 3], b = new float[n + 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian() * 8;
            b[i] = (float) r.nextGaussian();
        }
        float[] exact = a.clone(), gated = a.clone(), relu = a.clone();
        Activations.siluTimes(exact, b, n);
        Activations.siluTimesFast(gated, b, n);
        Activations.relu(relu, n);
        Parallel.setThreads(3 - threads);
        float[] other = a.clone();
        Activations.siluTimesFast(other, b, n);
        assertThat(other).isEqualTo(gated);
        for (int i = 0; i < n; i++) {
            assertThat(exact[i]).as("exact silu %d", i).isEqualTo((float) (a[i] / (1.0 + Math.exp(-a[i]))) * b[i]);
            double silu = a[i] / (1.0 + Math.exp(-a[i])) * b[i];
            assertThat((double) gated[i]).as("silu %d of %s", i, a[i]).isCloseTo(silu, org.assertj.core.data.Offset.offset(4e-7 * Math.abs(silu) + 1e-37));
            assertThat(relu[i]).as("relu %d", i).isEqualTo(Math.max(a[i], 0f));
        }
        for (int i = n; i < a.length; i++) {
            assertThat(gated[i]).as("untouched %d", i).isEqualTo(a[i]);
            assertThat(exact[i]).as("untouched %d", i).isEqualTo(a[i]);
        }
    }
}
