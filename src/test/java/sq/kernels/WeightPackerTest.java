package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WeightPackerTest {

    @ParameterizedTest(name = "rows={0} kc={1}")
    @CsvSource({"32, 256", "32, 16", "16, 32", "31, 256", "17, 40", "5, 3", "1, 1", "32, 250"})
    void packsTransposedBlock(int rows, int kc) {
        int cols = GemmKernel.COLS;
        rows = Math.min(rows, cols);
        int ld = kc + 9, off = 4;
        float[] w = Reference.random(new Random(rows * 1000L + kc), off + rows * ld);
        float[] wt = new float[kc * cols];
        WeightPacker.pack(w, off, ld, rows, kc, wt);
        for (int k = 0; k < kc; k++) {
            for (int n = 0; n < rows; n++) assertThat(wt[k * cols + n]).as("k=%d n=%d", k, n).isEqualTo(w[off + n * ld + k]);
        }
    }
}
