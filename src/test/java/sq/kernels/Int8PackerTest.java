package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The packed-triple arithmetic that the int8 GEMM kernel relies on. */
class Int8PackerTest {

    /**
     * One packed W times one packed X, FLUSH times, starting from BIAS: bits 43..63 hold the exact sum of the dot
     * products, at the extremes too (the bound is tight: FLUSH * 3 * 2^14 must stay below 2^20).
     */
    @ParameterizedTest(name = "w={0} x={1}")
    @CsvSource({"-128, -128", "127, 127", "-128, 127", "127, -128", "0, -128"})
    void flushRunOfExtremeTriplesIsExact(int wv, int xv) {
        byte[] w = {(byte) wv, (byte) wv, (byte) wv}, x = {(byte) xv, (byte) xv, (byte) xv};
        long[] wt = new long[Int8GemmKernel.COLS], xp = new long[1];
        Int8Packer.packW(w, 0, 3, 1, 3, wt);
        Int8Packer.packX(x, 0, 3, xp, 0);
        long acc = Int8GemmKernel.BIAS;
        for (int i = 0; i < Int8GemmKernel.FLUSH; i++) acc += wt[0] * xp[0];
        assertThat(acc >> Int8GemmKernel.SHIFT).isEqualTo((long) Int8GemmKernel.FLUSH * 3 * wv * xv);
    }

    @Test
    void randomTriplesGiveTheirDotProduct() {
        Random rnd = new Random(3);
        byte[] w = new byte[3], x = new byte[3];
        long[] wt = new long[Int8GemmKernel.COLS], xp = new long[1];
        for (int n = 0; n < 10_000; n++) {
            rnd.nextBytes(w);
            rnd.nextBytes(x);
            Int8Packer.packW(w, 0, 3, 1, 3, wt);
            Int8Packer.packX(x, 0, 3, xp, 0);
            assertThat((Int8GemmKernel.BIAS + wt[0] * xp[0]) >> Int8GemmKernel.SHIFT).isEqualTo(w[0] * x[0] + w[1] * x[1] + w[2] * x[2]);
        }
    }

    /** Triple j of a block of r inputs is (j, m+j, 2m+j), m = ceil(r/3); rows past `rows` and inputs past r are zero. */
    @ParameterizedTest(name = "rows={0} r={1}")
    @CsvSource({"32, 378", "32, 100", "9, 378", "8, 25", "7, 64", "1, 1", "3, 2", "32, 24"})
    void packsTriplesTransposed(int rows, int r) {
        int cols = Int8GemmKernel.COLS, ld = r + 5, off = 3, m = Int8Packer.triples(r);
        byte[] w = Int8MatMulTest.random(new Random(rows * 1000L + r), off + rows * ld);
        long[] wt = new long[m * cols];
        java.util.Arrays.fill(wt, 99);
        Int8Packer.packW(w, off, ld, rows, r, wt);
        for (int j = 0; j < m; j++) {
            for (int c = 0; c < cols; c++) {
                int row = off + c * ld;
                long expected = c >= rows ? 0 : at(w, row, r, j) + (at(w, row, r, m + j) << 21) + (at(w, row, r, 2 * m + j) << 43);
                assertThat(wt[j * cols + c]).as("j=%d c=%d", j, c).isEqualTo(expected);
            }
        }
    }

    private static long at(byte[] a, int src, int r, int i) {
        return i < r ? a[src + i] : 0;
    }
}
