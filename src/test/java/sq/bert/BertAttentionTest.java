package sq.bert;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The encoder attention against the formula in double, on shapes with and without whole vectors. */
class BertAttentionTest {

    @ParameterizedTest(name = "T={0} heads={1} hd={2}")
    @CsvSource({"1,1,32", "7,3,5", "17,12,32", "41,12,32", "16,2,16", "33,4,33", "128,12,32", "3,2,64"})
    void matchesTheFormula(int T, int heads, int hd) {
        Random r = new Random(T * 1000L + heads * 10L + hd);
        int H = heads * hd;
        float[] q = random(r, T * H), k = random(r, T * H), v = random(r, T * H), out = new float[T * H];
        float scale = (float) (1 / Math.sqrt(hd));
        BertAttention.run(q, k, v, out, T, heads, hd, scale);
        double maxErr = 0;
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < T; t++) {
                double[] p = new double[T];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += (double) q[t * H + h * hd + d] * k[j * H + h * hd + d];
                    p[j] = dot * scale;
                    max = Math.max(max, p[j]);
                }
                for (int j = 0; j < T; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int d = 0; d < hd; d++) {
                    double o = 0;
                    for (int j = 0; j < T; j++) o += p[j] / sum * v[j * H + h * hd + d];
                    maxErr = Math.max(maxErr, Math.abs(o - out[t * H + h * hd + d]));
                }
            }
        }
        assertThat(maxErr).as("max |error| (values in [-2, 2])").isLessThan(2e-5);
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 4 - 2);
        return a;
    }
}
