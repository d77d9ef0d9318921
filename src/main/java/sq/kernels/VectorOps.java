package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small vectorized float ops over slices (array, offset, n) for norms, residuals, gating and attention.
 * Each has a vector main loop and a scalar tail; results match scalar code up to float reassociation.
 */
public final class VectorOps {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorOps() {
    }

    /**
     * Sum of the lanes in lane order. reduceLanes(ADD) may associate differently in the interpreter and in C2-compiled
     * code, which would make float results (and the int8 rounding decisions after them) depend on JIT state.
     */
    public static float sumLanes(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** Same for doubles. */
    public static double sumLanes(jdk.incubator.vector.DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** sum_i a[aOff+i] * b[bOff+i] over n elements. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        for (int i = bound; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff+i] += alpha * x[xOff+i] over n elements (e.g. attention: out += p * V[t]). */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        FloatVector a = FloatVector.broadcast(S, alpha);
        for (int i = 0; i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (int i = bound; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** x[off+i] *= s over n elements. */
    public static void scale(float s, float[] x, int off, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) FloatVector.fromArray(S, x, off + i).mul(s).intoArray(x, off + i);
        for (int i = bound; i < n; i++) x[off + i] *= s;
    }

    /** y[yOff+i] += x[xOff+i] over n elements (residual connections). */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (int i = bound; i < n; i++) y[yOff + i] += x[xOff + i];
    }

    /** y[yOff+i] *= x[xOff+i] over n elements (norm weights, gated MLPs). */
    public static void mul(float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector.fromArray(S, y, yOff + i).mul(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (int i = bound; i < n; i++) y[yOff + i] *= x[xOff + i];
    }

    /** sum_i x[off+i]^2 over n elements (RMSNorm). */
    public static float sumOfSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    /** max_i x[off+i] over n &gt;= 1 elements. */
    public static float max(float[] x, int off, int n) {
        if (n < 1) throw new IllegalArgumentException("max of an empty range");
        int bound = S.loopBound(n);
        float m = x[off];
        if (bound > 0) {
            FloatVector acc = FloatVector.fromArray(S, x, off);
            for (int i = L; i < bound; i += L) acc = acc.max(FloatVector.fromArray(S, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (int i = bound; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /**
     * In-place softmax over x[off, off+n), n &gt;= 1: subtracts the max first so exp never overflows. Positions that
     * are -Infinity (masked) become 0; at least one must be finite.
     */
    public static void softmax(float[] x, int off, int n) {
        float m = max(x, off, n);
        float sum = 0f;
        for (int i = off; i < off + n; i++) {
            float e = (float) Math.exp(x[i] - m);
            x[i] = e;
            sum += e;
        }
        scale(1f / sum, x, off, n);
    }
}
