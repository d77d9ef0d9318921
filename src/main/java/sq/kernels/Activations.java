package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The MLP's element-wise activations, spread over {@link Parallel}: a 256-token prefill of a 5632-wide SwiGLU MLP
 * takes 1.4M exponentials per layer, which as scalar Math.exp on one thread cost about a sixth of the int8 prefill.
 * {@link #siluTimes} keeps the reference formula in double (goldens and evaluation tables depend on its last bits);
 * {@link #siluTimesFast}, for the int8 engine, is g / (1 + e^-g) in float with {@link VectorMath#exp} (torch's float
 * SiLU is that formula with a ~1 ulp expf). Chunks are whole vectors: results do not depend on the thread count.
 */
public final class Activations {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements per parallel chunk unit: a multiple of the vector length, long enough to amortize a hand-off. */
    private static final int BLOCK = 1024;
    /** Per-thread room for one block's exponentials. */
    private static final ThreadLocal<float[]> EXP = ThreadLocal.withInitial(() -> new float[BLOCK]);

    private Activations() {
    }

    /** a[i] = silu(a[i]) * b[i] for i &lt; n (SwiGLU: silu(gate x) * up x), silu in double. */
    public static void siluTimes(float[] a, float[] b, int n) {
        forBlocks(n, 16L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) (a[i] / (1.0 + Math.exp(-a[i]))) * b[i];
        });
    }

    /** The same in float vectors, to within ~2 ulp. */
    public static void siluTimesFast(float[] a, float[] b, int n) {
        forBlocks(n, 16L * n, (from, to) -> {
            float[] e = EXP.get();
            for (int i0 = from; i0 < to; i0 += BLOCK) {
                int len = Math.min(BLOCK, to - i0);
                VectorMath.exp(a, i0, -1f, 0f, e, 0, len); // e^-g
                for (int i = 0; i < len; i += S.length()) {
                    VectorMask<Float> m = S.indexInRange(i, len);
                    FloatVector g = FloatVector.fromArray(S, a, i0 + i, m);
                    g.div(FloatVector.fromArray(S, e, i, m).add(1f)).mul(FloatVector.fromArray(S, b, i0 + i, m)).intoArray(a, i0 + i, m);
                }
            }
        });
    }

    /** a[i] = max(a[i], 0) for i &lt; n. */
    public static void relu(float[] a, int n) {
        forBlocks(n, n, (from, to) -> {
            for (int i = from; i < to; i += S.length()) {
                VectorMask<Float> m = S.indexInRange(i, to);
                FloatVector.fromArray(S, a, i, m).max(0f).intoArray(a, i, m);
            }
        });
    }

    /** a[i] = silu(a[i]) (ungated), in double. */
    public static void silu(float[] a, int n) {
        forBlocks(n, 16L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) (a[i] / (1.0 + Math.exp(-a[i])));
        });
    }

    /** a[i] = gelu(a[i]) = x/2 (1 + erf(x / sqrt 2)), torch's exact GELU, in double. */
    public static void gelu(float[] a, int n) {
        forBlocks(n, 32L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) gelu(a[i]);
        });
    }

    /** a[i] = gelu_tanh(a[i]) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (gelu_new, gelu_pytorch_tanh), in double. */
    public static void geluTanh(float[] a, int n) {
        forBlocks(n, 32L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) geluTanh(a[i]);
        });
    }

    /** a[i] = gelu_tanh(a[i]) * b[i] (GeGLU), the activation in double. */
    public static void geluTanhTimes(float[] a, float[] b, int n) {
        forBlocks(n, 32L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) geluTanh(a[i]) * b[i];
        });
    }

    /** a[i] = gelu(a[i]) * b[i], the activation in double. */
    public static void geluTimes(float[] a, float[] b, int n) {
        forBlocks(n, 32L * n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = (float) gelu(a[i]) * b[i];
        });
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /**
     * erf in double to ~1e-15: its Maclaurin series below 2.5 (terms shrink after x^2 of them; the largest partial
     * sums stay under e^(x^2) ~ 520, so cancellation costs under 3 digits), erfc's continued fraction above (Lentz),
     * and 1 from 6 on (erfc(6) ~ 2e-17).
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax >= 6) return Math.signum(x);
        double r;
        if (ax < 2.5) {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
                term *= -x2 / k;
                sum += term / (2 * k + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double tiny = 1e-300, f = ax, c = ax, d = 0;
            for (int k = 1; k < 500; k++) {
                double ak = k / 2.0;
                d = ax + ak * d;
                d = d == 0 ? tiny : d;
                c = ax + ak / c;
                c = c == 0 ? tiny : c;
                d = 1 / d;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) break;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    private static void forBlocks(int n, long cost, Parallel.RangeBody body) {
        Parallel.forRange((n + BLOCK - 1) / BLOCK, cost, (b0, b1) -> body.run(b0 * BLOCK, Math.min(n, b1 * BLOCK)));
    }
}
