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

    private static void forBlocks(int n, long cost, Parallel.RangeBody body) {
        Parallel.forRange((n + BLOCK - 1) / BLOCK, cost, (b0, b1) -> body.run(b0 * BLOCK, Math.min(n, b1 * BLOCK)));
    }
}
