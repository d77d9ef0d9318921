package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp over float arrays, for softmax and SiLU: a 256-token prefill of TinyLlama takes ~55M exponentials, which as
 * scalar Math.exp cost about a fifth of the int8 prefill. Cephes' expf scheme: x = n ln2 + r with |r| &lt;= ln2/2, a
 * degree-6 polynomial for e^r, 2^n put into the exponent bits. Max error ~1 ulp (torch's vectorized expf is ~1 ulp
 * too). Only IEEE adds, multiplies and FMAs: the same bits in the interpreter and in C2-compiled code (unlike
 * lanewise(EXP), whose intrinsic and fallback differ), so results do not depend on JIT state.
 *
 * <p>The API is over arrays, with the polynomial written inside the loop: a helper taking or returning a vector that
 * C2 does not inline (this one is large) boxes the vector on every call, which measured slower than scalar code.
 */
public final class VectorMath {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude &lt; 2^22 to an integer, held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    /** exp(88.3) &lt; Float.MAX_VALUE (larger x is clamped there); below -87.3 the result, subnormal, is taken as 0. */
    private static final float HI = 88.3f, LO = -87.3f;

    private VectorMath() {
    }

    /**
     * y[yOff + i] = e^(scale * x[xOff + i] + bias) for i &lt; n (y may be x); returns the sum of the results, taken in
     * lane order (deterministic).
     */
    public static float exp(float[] x, int xOff, float scale, float bias, float[] y, int yOff, int n) {
        FloatVector sum = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector in = FloatVector.fromArray(S, x, xOff + i, m).fma(scale, bias);
            FloatVector v = in.max(LO).min(HI);
            FloatVector t = v.fma(LOG2E, ROUNDER);                            // round(v log2 e), in the low bits
            FloatVector k = t.sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), v);      // v - k ln2 in two steps (k LN2_HI exact)
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
            p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
            p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
            p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
            p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
            p = p.mul(r.mul(r)).add(r).add(1f);                               // e^r
            IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul(bits.reinterpretAsFloats()).blend(0f, in.compare(VectorOperators.LT, LO)); // * 2^k
            e.intoArray(y, yOff + i, m);
            sum = sum.add(e, m);
        }
        return VectorOps.sumLanes(sum);
    }
}
