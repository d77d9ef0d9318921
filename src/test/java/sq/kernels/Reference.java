package sq.kernels;

import java.util.Random;

/** Plain scalar versions of the kernels, for tests. */
final class Reference {

    private Reference() {
    }

    /** Same contract as {@link MatMul#matmul(float[], int, int, float[], int, float[], int, int, float[], int)}, summed in double. */
    static void matmul(float[] x, int xOff, int T, float[] w, int wOff, float[] bias, int in, int out, float[] y, int yOff) {
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) s += (double) x[xOff + t * in + i] * w[wOff + o * in + i];
                y[yOff + t * out + o] = (float) s;
            }
        }
    }

    /** sum_i |x[t,i] * w[o,i]| + |bias[o]|: the scale of float rounding error in Y[t, o]. */
    static double magnitude(float[] x, int xOff, float[] w, int wOff, float[] bias, int in, int t, int o) {
        double s = bias == null ? 0 : Math.abs(bias[o]);
        for (int i = 0; i < in; i++) s += Math.abs((double) x[xOff + t * in + i] * w[wOff + o * in + i]);
        return s;
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
