package sq.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations to int8 for the W8A8 matmul ({@link Int8MatMul}): symmetric absmax, scale = max(max|x|, 1e-5) / 127,
 * q = round_half_even(x / scale) saturated to [-128, 127]. These are the float operations of
 * {@code sq.quant.Quantizer} (whose {@code scale} is {@link #scale}), so q * scale is bit for bit the fake-quantized
 * value. Dynamic scales never saturate (|x / scale| &lt;= 127 by construction); static ones may.
 */
public final class Int8Quantize {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Bytes with as many lanes as S, so the float -&gt; byte conversion is lane for lane. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    public static final float QMAX = 127f;
    /** Floor of max|x| so that an all-zero block gets a finite scale. */
    public static final float MIN_ABS_MAX = 1e-5f;
    /**
     * 1.5 * 2^23: for |v| &lt; 2^22, v + ROUNDER lands where the float spacing is 1, so the addition rounds v to an
     * integer half to even (the default rounding) and subtracting it back is exact: Math.rint in two float ops.
     */
    private static final float ROUNDER = 12582912f;

    private Int8Quantize() {
    }

    /** The scale of a block whose largest magnitude is absMax. */
    public static float scale(float absMax) {
        return Math.max(absMax, MIN_ABS_MAX) / QMAX;
    }

    /** max |x[off + i]| over n elements (0 for n = 0); max is exact, so the order of the reduction does not matter. */
    public static float absMax(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < bound; i += L) acc = acc.max(FloatVector.fromArray(S, x, off + i).abs());
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (int i = bound; i < n; i++) m = Math.max(m, Math.abs(x[off + i]));
        return m;
    }

    /**
     * Per-token dynamic: for each of T rows of n values, scales[scaleOff + t] = scale(max|row|) and
     * q[qOff + t*n + i] = round(x[xOff + t*n + i] / scales[scaleOff + t]). Tokens are independent: a prefill
     * spreads them over {@link Parallel}.
     */
    public static void perToken(float[] x, int xOff, int T, int n, byte[] q, int qOff, float[] scales, int scaleOff) {
        Parallel.forRange(T, 4L * T * n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                float s = scale(absMax(x, xOff + t * n, n));
                scales[scaleOff + t] = s;
                quantize(x, xOff + t * n, n, s, q, qOff + t * n);
            }
        });
    }

    /** Per-tensor dynamic over len values: one scale from max|x| of them all, which is returned. */
    public static float perTensor(float[] x, int xOff, int len, byte[] q, int qOff) {
        float s = scale(absMax(x, xOff, len));
        quantize(x, xOff, len, s, q, qOff);
        return s;
    }

    /** Per-tensor static: the scale comes from a calibrated max|x| (returned); values beyond it saturate. */
    public static float perTensorStatic(float[] x, int xOff, int len, float staticAbsMax, byte[] q, int qOff) {
        float s = scale(staticAbsMax);
        quantize(x, xOff, len, s, q, qOff);
        return s;
    }

    /** q[qOff + i] = round_half_even(clamp(x[xOff + i] / scale, -128, 127)) over n values. */
    public static void quantize(float[] x, int xOff, int n, float scale, byte[] q, int qOff) {
        int bound = S.loopBound(n);
        // Clamping before rounding equals clamping after: the bounds are integers and rint is monotone. It also
        // keeps |v| small enough for ROUNDER.
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i).div(scale).max(-128f).min(QMAX);
            v.add(ROUNDER).sub(ROUNDER).convertShape(VectorOperators.F2B, SB, 0).reinterpretAsBytes().intoArray(q, qOff + i);
        }
        for (int i = bound; i < n; i++) q[qOff + i] = (byte) Math.rint(Math.min(Math.max(x[xOff + i] / scale, -128f), QMAX));
    }
}
