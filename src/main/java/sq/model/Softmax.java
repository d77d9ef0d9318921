package sq.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sq.kernels.VectorMath;

/**
 * Softmax over the first n entries, in float32 with the max subtracted (as torch.softmax). {@link #inPlace} takes
 * each exponential in double (the reference path: goldens, evaluation tables); {@link #fast} is vectorized with
 * {@link VectorMath#exp} (~1 ulp, as torch's own expf) and a lane-order sum, so it does not depend on JIT state
 * either (the int8 engine).
 */
final class Softmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Softmax() {
    }

    static void inPlace(float[] s, int n) {
        inPlace(s, 0, n, Float.NEGATIVE_INFINITY);
    }

    static void inPlace(float[] s, int off, int n) {
        inPlace(s, off, n, Float.NEGATIVE_INFINITY);
    }

    /**
     * Softmax of s[off, off + n) in place, with one more logit `sink` in the normalization that is then dropped
     * (gpt-oss's attention sinks); -infinity: none (exp(-inf) adds exactly 0).
     */
    static void inPlace(float[] s, int off, int n, float sink) {
        float max = sink;
        for (int j = 0; j < n; j++) max = Math.max(max, s[off + j]);
        float sum = (float) Math.exp(sink - max);
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(s[off + j] - max);
            s[off + j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) s[off + j] *= inv;
    }

    /** Softmax of s[off, off + n) in place. */
    static void fast(float[] s, int off, int n) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = S.indexInRange(j, n);
            mx = mx.max(FloatVector.fromArray(S, s, off + j, m).blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        float max = mx.reduceLanes(VectorOperators.MAX); // exact in any order
        float inv = 1f / VectorMath.exp(s, off, 1f, -max, s, off, n);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = S.indexInRange(j, n);
            FloatVector.fromArray(S, s, off + j, m).mul(inv).intoArray(s, off + j, m);
        }
    }
}
