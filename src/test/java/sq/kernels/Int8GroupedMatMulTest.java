package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Int8GroupedMatMulTest {

    /** Against sum over groups of scale * exact group sum, in double; the last group may be partial. */
    @ParameterizedTest(name = "T={0} in={1} out={2} g={3}")
    @CsvSource({"1, 256, 40, 128", "1, 300, 33, 128", "7, 300, 33, 128", "64, 1000, 5, 128", "3, 17, 9, 4", "2, 5, 3, 128"})
    void matchesGroupWiseReference(int T, int in, int out, int g) {
        Random rnd = new Random(in * 31L + T);
        int groups = (in + g - 1) / g;
        byte[] x = Int8MatMulTest.random(rnd, T * in), w = Int8MatMulTest.random(rnd, out * in);
        float[] xs = scales(rnd, T), ws = scales(rnd, out * groups), bias = Reference.random(rnd, out);
        float[] y = new float[T * out];
        Int8GroupedMatMul.matmul(x, xs, T, w, 0, ws, g, bias, in, out, y);
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double s = 0, magnitude = Math.abs(bias[o]);
                for (int k = 0; k < groups; k++) {
                    long acc = 0;
                    for (int i = k * g; i < Math.min(in, (k + 1) * g); i++) acc += x[t * in + i] * w[o * in + i];
                    s += (double) ws[o * groups + k] * acc;
                    magnitude += Math.abs((double) ws[o * groups + k] * acc) * xs[t];
                }
                double expected = s * xs[t] + bias[o];
                assertThat((double) y[t * out + o]).as("y[%d,%d]", t, o).isCloseTo(expected, within(1e-6 * magnitude + 1e-7));
            }
        }
        // the same weights as a slice of a larger array give the same bits
        byte[] shared = new byte[w.length + 9];
        System.arraycopy(w, 0, shared, 5, w.length);
        float[] y2 = new float[T * out];
        Int8GroupedMatMul.matmul(x, xs, T, shared, 5, ws, g, bias, in, out, y2);
        assertThat(y2).isEqualTo(y);
        // and off the heap, as mapped from a file
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            java.lang.foreign.MemorySegment seg = arena.allocate(w.length + 1L, 1).asSlice(1);
            seg.copyFrom(java.lang.foreign.MemorySegment.ofArray(w));
            float[] y3 = new float[T * out];
            Int8GroupedMatMul.matmul(x, xs, T, seg, ws, g, bias, in, out, y3);
            assertThat(y3).isEqualTo(y);
        }
    }

    @Test
    void rejectsWrongScaleCount() {
        float[] one = {1};
        assertThatThrownBy(() -> Int8GroupedMatMul.matmul(new byte[10], one, 1, new byte[20], 0, new float[3], 4, null, 10, 2, new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 x 3");
    }

    private static float[] scales(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (0.5f + rnd.nextFloat()) / 127f;
        return a;
    }
}
