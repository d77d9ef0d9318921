package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Within 2 ulp of the correctly rounded e^x over the whole range softmax and SiLU use, including both clamps. */
    @Test
    void expIsWithinTwoUlpOfMathExp() {
        int L = S.length();
        float[] x = new float[L], y = new float[L];
        long checked = 0;
        for (float v = -87f; v < 88f; v += 0.0037f) {
            for (int i = 0; i < L; i++) x[i] = v + i * 1e-4f;
            VectorMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < L; i++) {
                float want = (float) Math.exp(x[i]);
                assertThat(Math.abs(y[i] - want)).as("exp(%s)", x[i]).isLessThanOrEqualTo(2 * Math.ulp(want));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100_000);
    }

    @Test
    void exactPointsAndClamps() {
        float[] x = new float[S.length()], y = new float[S.length()];
        float[] in = {0f, 1f, -1f, -200f, 200f, Float.NEGATIVE_INFINITY};
        for (int k = 0; k < in.length; k++) x[k % x.length] = in[k];
        VectorMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isCloseTo((float) Math.E, org.assertj.core.data.Offset.offset(Math.ulp((float) Math.E)));
        assertThat(y[3]).isZero();                        // far below: 0, never NaN or negative
        assertThat(y[4]).isFinite().isGreaterThan(1e38f); // far above: clamped, finite
        assertThat(y[5]).isZero();
    }
}
