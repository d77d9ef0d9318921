package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Where the int8 kernels put finished int32 dot products: as they are (tests, the group-wise path) or dequantized
 * with the bias added, so the float output is written once. GEMV and GEMM hand over disjoint blocks of
 * tokens x outputs, each from the thread that computed it.
 */
public interface Int8Epilogue {

    /** acc[t * ld + j] for t &lt; T, j &lt; n is the dot product of token t and output feature o + j. */
    void write(int[] acc, int ld, int T, int o, int n);

    /** dst[t * out + o] = acc, i.e. the row-major [T, out] int32 accumulators. */
    static Int8Epilogue raw(int[] dst, int out) {
        return (acc, ld, T, o, n) -> {
            for (int t = 0; t < T; t++) System.arraycopy(acc, t * ld, dst, t * out + o, n);
        };
    }

    /**
     * y[t * out + o] = acc * (xScale[t] * wScale[o]) + bias[o].
     *
     * @param xScale per token [T] or per tensor [1]
     * @param wScale per output channel [out] or per tensor [1]
     * @param bias   [out] or null
     */
    static Int8Epilogue dequantize(float[] xScale, float[] wScale, float[] bias, float[] y, int out) {
        return new Dequantize(xScale, wScale, bias, y, out);
    }

    /** The fused dequantization: one int -&gt; float conversion and one multiply(-add) per output. */
    record Dequantize(float[] xScale, float[] wScale, float[] bias, float[] y, int out) implements Int8Epilogue {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, VectorShape.forBitSize(S.vectorBitSize()));
        private static final int L = S.length();

        @Override
        public void write(int[] acc, int ld, int T, int o, int n) {
            boolean perChannel = wScale.length > 1;
            int bound = S.loopBound(n);
            for (int t = 0; t < T; t++) {
                float xs = xScale[xScale.length == 1 ? 0 : t];
                int a = t * ld, row = t * out + o;
                FloatVector tensorScale = FloatVector.broadcast(S, xs * wScale[0]);
                for (int j = 0; j < bound; j += L) {
                    FloatVector v = (FloatVector) IntVector.fromArray(SI, acc, a + j).convert(VectorOperators.I2F, 0);
                    FloatVector s = perChannel ? FloatVector.fromArray(S, wScale, o + j).mul(xs) : tensorScale;
                    v = bias == null ? v.mul(s) : v.fma(s, FloatVector.fromArray(S, bias, o + j));
                    v.intoArray(y, row + j);
                }
                for (int j = bound; j < n; j++) {
                    float s = xs * wScale[perChannel ? o + j : 0];
                    y[row + j] = bias == null ? acc[a + j] * s : Math.fma(acc[a + j], s, bias[o + j]);
                }
            }
        }
    }
}
