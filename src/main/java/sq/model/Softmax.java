package sq.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sq.kernels.VectorMath;
import sq.kernels.VectorOps;

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
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[j]);
        float sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) s[j] *= inv;
    }

    static void fast(float[] s, int n) {
        int bound = S.loopBound(n);
        VectorMask<Float> tail = S.indexInRange(bound, n);
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < bound; j += L) mx = mx.max(FloatVector.fromArray(S, s, j));
        float max = Math.max(mx.reduceLanes(VectorOperators.MAX), // exact in any order
                FloatVector.fromArray(S, s, bound, tail).reduceLanes(VectorOperators.MAX, tail));
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, j).sub(max));
            e.intoArray(s, j);
            sum = sum.add(e);
        }
        FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, bound, tail).sub(max));
        e.intoArray(s, bound, tail);
        float inv = 1f / VectorOps.sumLanes(sum.add(e, tail));
        for (int j = 0; j < bound; j += L) FloatVector.fromArray(S, s, j).mul(inv).intoArray(s, j);
        FloatVector.fromArray(S, s, bound, tail).mul(inv).intoArray(s, bound, tail);
    }
}
