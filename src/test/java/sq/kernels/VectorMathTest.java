package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VectorMathTest {

    /** Within 2 ulp of the correctly rounded e^x over the range softmax and SiLU use, tails included. */
    @Test
    void expIsWithinTwoUlpOfMathExp() {
        int n = 47_303; // not a multiple of the vector length
        float[] x = new float[n], y = new float[n + 2];
        for (int i = 0; i < n; i++) x[i] = -87f + 167f * i / n; // up to 80: the float sum stays finite
        y[n] = y[n + 1] = 42f;
        double sum = VectorMath.exp(x, 0, 1f, 0f, y, 0, n);
        double want = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[i]);
            assertThat(Math.abs(y[i] - e)).as("exp(%s)", x[i]).isLessThanOrEqualTo(2 * Math.ulp(e));
            want += y[i];
        }
        assertThat(sum).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6 * want));
        assertThat(y[n]).as("past n untouched").isEqualTo(42f);
    }

    @Test
    void scaleBiasExactPointsAndClamps() {
        float[] x = {0f, -1f, 1f, 200f, -200f, Float.NEGATIVE_INFINITY, 0.5f};
        float[] y = new float[x.length];
        VectorMath.exp(x, 0, -1f, 0f, y, 0, x.length); // e^-x
        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isCloseTo((float) Math.E, org.assertj.core.data.Offset.offset(Math.ulp((float) Math.E)));
        assertThat(y[3]).isZero();                        // far below: 0, never NaN or negative
        assertThat(y[4]).isFinite().isGreaterThan(1e38f); // far above: clamped, finite
        assertThat(y[5]).isFinite().isGreaterThan(1e38f);
        float[] z = new float[3];
        VectorMath.exp(x, 4, 1f, 0f, z, 0, 3);             // offsets: x[4..6] = -200, -inf, 0.5
        assertThat(z[0]).isZero();
        assertThat(z[1]).isZero();
        assertThat(z[2]).isCloseTo((float) Math.exp(0.5), org.assertj.core.data.Offset.offset(2 * Math.ulp(1.65f)));
    }
}
