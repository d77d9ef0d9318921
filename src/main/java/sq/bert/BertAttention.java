package sq.bert;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sq.kernels.Parallel;
import sq.kernels.VectorOps;

/**
 * Bidirectional multi-head attention of one unpadded sequence, heads spread over the threads:
 * out[t, h*hd + d] = sum_j softmax_j(scale * q_t . k_j) v[j, h*hd + d].
 *
 * <p>An encoder sequence is short (tens of tokens) and a head narrow (32 dims for MiniLM and bge-small), so the two
 * BMMs per head are tiny; direct FMA loops on a transposed copy of K beat the general GEMM, whose weight packing and
 * edge tiles cost more than the arithmetic here (measured: the attention of a 41-token sentence was 11% of an int8
 * MiniLM pass through {@code MatMul}). Lanes run along keys for Q.K^T (K transposed, rows padded to whole vectors
 * with zeros) and along head dims for P.V.
 */
final class BertAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private BertAttention() {
    }

    /**
     * @param q   queries [T, heads*hd]
     * @param k   keys [T, heads*hd]
     * @param v   values [T, heads*hd]
     * @param out [T, heads*hd]
     */
    static void run(float[] q, float[] k, float[] v, float[] out, int T, int heads, int hd, float scale) {
        int H = heads * hd, tp = pad(T), hp = pad(hd);
        Parallel.forRange(heads, 4L * T * T * H, (h0, h1) -> {
            float[] kt = new float[hd * tp], vh = new float[T * hp], s = new float[4 * tp];
            for (int h = h0; h < h1; h++) {
                int off = h * hd;
                for (int j = 0; j < T; j++) {
                    for (int d = 0; d < hd; d++) kt[d * tp + j] = k[j * H + off + d]; // kt [hd, tp]: K^T, zero-padded
                    System.arraycopy(v, j * H + off, vh, j * hp, hd);                 // vh [T, hp]
                }
                // Four query rows at a time: four independent FMA chains per loaded vector of K^T or V. A last
                // partial block repeats row T-1, which computes and writes the same values again. (Small methods:
                // C2 stops inlining vector operations in one large body, and then boxes them.)
                for (int t = 0; t < T; t += 4) {
                    int q0 = Math.min(t, T - 1) * H + off, q1 = Math.min(t + 1, T - 1) * H + off;
                    int q2 = Math.min(t + 2, T - 1) * H + off, q3 = Math.min(t + 3, T - 1) * H + off;
                    for (int j = 0; j < tp; j += 2 * L) scores(q, q0, q1, q2, q3, kt, tp, j, Math.min(j + L, tp - L), hd, s);
                    float i0 = expScores(s, 0, T, scale), i1 = expScores(s, tp, T, scale);
                    float i2 = expScores(s, 2 * tp, T, scale), i3 = expScores(s, 3 * tp, T, scale);
                    for (int d = 0; d < hp; d += L) weighted(s, tp, i0, i1, i2, i3, vh, hp, d, T, Math.min(L, hd - d), out, q0, q1, q2, q3);
                }
            }
        });
    }

    /**
     * s[r*tp + c..+L) = q_r . k_(c..c+L) for the four query rows at q0..q3 (r = 0..3) and the key chunks c = j and
     * c = j2 (eight FMA chains: two FMA units of 4-cycle latency; j2 = j computes one chunk twice).
     */
    private static void scores(float[] q, int q0, int q1, int q2, int q3, float[] kt, int tp, int j, int j2, int hd, float[] s) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int d = 0; d < hd; d++) {
            FloatVector ka = FloatVector.fromArray(S, kt, d * tp + j), kb = FloatVector.fromArray(S, kt, d * tp + j2);
            FloatVector x0 = FloatVector.broadcast(S, q[q0 + d]), x1 = FloatVector.broadcast(S, q[q1 + d]);
            FloatVector x2 = FloatVector.broadcast(S, q[q2 + d]), x3 = FloatVector.broadcast(S, q[q3 + d]);
            a0 = ka.fma(x0, a0);
            a1 = ka.fma(x1, a1);
            a2 = ka.fma(x2, a2);
            a3 = ka.fma(x3, a3);
            b0 = kb.fma(x0, b0);
            b1 = kb.fma(x1, b1);
            b2 = kb.fma(x2, b2);
            b3 = kb.fma(x3, b3);
        }
        a0.intoArray(s, j);
        a1.intoArray(s, tp + j);
        a2.intoArray(s, 2 * tp + j);
        a3.intoArray(s, 3 * tp + j);
        b0.intoArray(s, j2);
        b1.intoArray(s, tp + j2);
        b2.intoArray(s, 2 * tp + j2);
        b3.intoArray(s, 3 * tp + j2);
    }

    /**
     * out[q_r + d..+n) = i_r * sum_j e[r*tp + j] * v_j[d..d+L) for the four rows r (P.V with the softmax's 1 / sum),
     * v_j the rows of vh (width hp).
     */
    private static void weighted(float[] e, int tp, float i0, float i1, float i2, float i3, float[] vh, int hp, int d, int T, int n,
                                 float[] out, int q0, int q1, int q2, int q3) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int j = 0;
        for (; j + 1 < T; j += 2) { // eight FMA chains: even values into a, odd into b
            FloatVector va = FloatVector.fromArray(S, vh, j * hp + d), vb = FloatVector.fromArray(S, vh, (j + 1) * hp + d);
            a0 = va.fma(FloatVector.broadcast(S, e[j]), a0);
            a1 = va.fma(FloatVector.broadcast(S, e[tp + j]), a1);
            a2 = va.fma(FloatVector.broadcast(S, e[2 * tp + j]), a2);
            a3 = va.fma(FloatVector.broadcast(S, e[3 * tp + j]), a3);
            b0 = vb.fma(FloatVector.broadcast(S, e[j + 1]), b0);
            b1 = vb.fma(FloatVector.broadcast(S, e[tp + j + 1]), b1);
            b2 = vb.fma(FloatVector.broadcast(S, e[2 * tp + j + 1]), b2);
            b3 = vb.fma(FloatVector.broadcast(S, e[3 * tp + j + 1]), b3);
        }
        if (j < T) {
            FloatVector va = FloatVector.fromArray(S, vh, j * hp + d);
            a0 = va.fma(FloatVector.broadcast(S, e[j]), a0);
            a1 = va.fma(FloatVector.broadcast(S, e[tp + j]), a1);
            a2 = va.fma(FloatVector.broadcast(S, e[2 * tp + j]), a2);
            a3 = va.fma(FloatVector.broadcast(S, e[3 * tp + j]), a3);
        }
        a0 = a0.add(b0);
        a1 = a1.add(b1);
        a2 = a2.add(b2);
        a3 = a3.add(b3);
        if (n == L) {
            a0.mul(i0).intoArray(out, q0 + d);
            a1.mul(i1).intoArray(out, q1 + d);
            a2.mul(i2).intoArray(out, q2 + d);
            a3.mul(i3).intoArray(out, q3 + d);
        } else { // a head's last vector may reach into the next head
            VectorMask<Float> m = S.indexInRange(0, n);
            a0.mul(i0).intoArray(out, q0 + d, m);
            a1.mul(i1).intoArray(out, q1 + d, m);
            a2.mul(i2).intoArray(out, q2 + d, m);
            a3.mul(i3).intoArray(out, q3 + d, m);
        }
    }

    /**
     * s[off + j] = e^(scale * (s[off + j] - max)) for j &lt; T, the unnormalized softmax (the 1 / sum is applied to the
     * P.V output instead, one multiply per output); returns 1 / sum.
     */
    private static float expScores(float[] s, int off, int T, float scale) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < T; j += L) {
            VectorMask<Float> m = S.indexInRange(j, T);
            mx = mx.max(FloatVector.fromArray(S, s, off + j, m).blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        float shift = -mx.reduceLanes(VectorOperators.MAX) * scale;
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < T; j += L) { // the JDK's vector exp (faster than VectorMath.exp; no bit-exactness needed here)
            VectorMask<Float> m = S.indexInRange(j, T);
            FloatVector e = FloatVector.fromArray(S, s, off + j, m).fma(scale, shift).lanewise(VectorOperators.EXP);
            e.intoArray(s, off + j, m);
            sum = sum.add(e, m);
        }
        return 1f / VectorOps.sumLanes(sum);
    }

    /** n rounded up to whole vectors. */
    private static int pad(int n) {
        return (n + L - 1) / L * L;
    }
}
