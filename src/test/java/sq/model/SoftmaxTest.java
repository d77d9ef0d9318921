package sq.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SoftmaxTest {

    /** The vectorized softmax agrees with the double-exponential one to float rounding, tails and -inf included. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 15, 16, 17, 100, 257})
    void fastMatchesReference(int n) {
        Random r = new Random(n);
        float[] s = new float[n + 4];
        for (int i = 0; i < s.length; i++) s[i] = (float) r.nextGaussian() * 10;
        if (n > 2) s[1] = Float.NEGATIVE_INFINITY; // a masked score
        float[] ref = s.clone(), fast = s.clone();
        Softmax.inPlace(ref, n);
        Softmax.fast(fast, 0, n);
        double total = 0;
        for (int i = 0; i < n; i++) {
            assertThat(fast[i]).as("p[%d]", i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-6f * ref[i] + 1e-38f));
            total += fast[i];
        }
        assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        for (int i = n; i < s.length; i++) assertThat(fast[i]).as("untouched %d", i).isEqualTo(s[i]);
    }
}
