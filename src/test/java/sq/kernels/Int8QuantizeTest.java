package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sq.quant.ActivationGranularity;
import sq.quant.Quantizer;

/** The int8 values must be exactly the simulation's grid: q * scale == Quantizer.activations(x), bit for bit. */
class Int8QuantizeTest {

    @ParameterizedTest(name = "T={0} n={1}")
    @CsvSource({"1, 1", "3, 15", "2, 16", "4, 17", "5, 100", "2, 1000", "1, 4096"})
    void perTokenIsTheFakeQuantGrid(int T, int n) {
        float[] x = activations(new Random(T * 1000L + n), T * n);
        byte[] q = new byte[T * n];
        float[] scales = new float[T + 2];
        Int8Quantize.perToken(x, 0, T, n, q, 0, scales, 2);
        float[] fake = x.clone();
        Quantizer.activations(fake, T, n, ActivationGranularity.PER_TOKEN, 0);
        for (int t = 0; t < T; t++) {
            assertThat(scales[2 + t]).isEqualTo(Quantizer.scale(scalarAbsMax(x, t * n, n)));
            for (int i = 0; i < n; i++) assertThat(q[t * n + i] * scales[2 + t]).as("t=%d i=%d", t, i).isEqualTo(fake[t * n + i]);
        }
    }

    @ParameterizedTest(name = "len={0}")
    @CsvSource({"1", "31", "1000"})
    void perTensorDynamicIsTheFakeQuantGrid(int len) {
        float[] x = activations(new Random(len), len);
        byte[] q = new byte[len];
        float s = Int8Quantize.perTensor(x, 0, len, q, 0);
        float[] fake = x.clone();
        Quantizer.activations(fake, 1, len, ActivationGranularity.PER_TENSOR_DYNAMIC, 0);
        assertThat(s).isEqualTo(Quantizer.scale(scalarAbsMax(x, 0, len)));
        for (int i = 0; i < len; i++) assertThat(q[i] * s).as("i=%d", i).isEqualTo(fake[i]);
    }

    /** A calibrated max below the data's: values beyond it saturate to -128 / 127, as in the simulation. */
    @ParameterizedTest(name = "len={0} staticMax={1}")
    @CsvSource({"1000, 0.5", "1000, 3", "33, 100", "7, 0"})
    void perTensorStaticSaturatesLikeTheSimulation(int len, float staticMax) {
        float[] x = activations(new Random(len), len);
        byte[] q = new byte[len];
        float s = Int8Quantize.perTensorStatic(x, 0, len, staticMax, q, 0);
        float[] fake = x.clone();
        Quantizer.activations(fake, 1, len, ActivationGranularity.PER_TENSOR_STATIC, staticMax);
        assertThat(s).isEqualTo(Quantizer.scale(staticMax));
        int saturated = 0;
        for (int i = 0; i < len; i++) {
            assertThat(q[i] * s).as("i=%d", i).isEqualTo(fake[i]);
            if (q[i] == 127 || q[i] == -128) saturated++;
        }
        if (staticMax < 1) assertThat(saturated).isPositive();
    }

    /** Ties go to even, in the vector body and in the scalar tail; the clamp bounds are -128 and 127. */
    @Test
    void roundsHalfToEvenAndClamps() {
        float[] v = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, 300f, -127.5f, -128.5f, -1000f, 3.4999998f, -0f};
        byte[] want = {0, 2, 2, 0, -2, -2, 126, 127, 127, -128, -128, -128, 3, 0};
        int n = 4 * v.length + 3;
        float[] x = new float[n];
        byte[] expected = new byte[n], q = new byte[n];
        for (int i = 0; i < n; i++) {
            x[i] = v[i % v.length];
            expected[i] = want[i % v.length];
        }
        Int8Quantize.quantize(x, 0, n, 1f, q, 0);
        assertThat(q).containsExactly(expected);
    }

    @Test
    void allZeroRowGetsTheFloorScaleAndZeros() {
        byte[] q = {9, 9, 9};
        float[] s = new float[1];
        Int8Quantize.perToken(new float[3], 0, 1, 3, q, 0, s, 0);
        assertThat(s[0]).isEqualTo(1e-5f / 127f);
        assertThat(q).containsOnly(0);
    }

    @Test
    void absMaxMatchesScalarAtOffsets() {
        float[] x = activations(new Random(5), 203);
        for (int off : new int[]{0, 1, 17}) {
            for (int n : new int[]{0, 1, 15, 16, 17, 186}) assertThat(Int8Quantize.absMax(x, off, n)).isEqualTo(scalarAbsMax(x, off, n));
        }
    }

    /** Gaussian values with a few large outliers, like LLM activations. */
    private static float[] activations(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * (i % 37 == 5 ? 40 : 1);
        return a;
    }

    private static float scalarAbsMax(float[] x, int off, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(x[off + i]));
        return m;
    }
}
