package sq.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * {@link MatMul} with the weight W[out, in] in bfloat16, read where it lies (a slice of a mapped safetensors file,
 * little-endian), so a bf16 model runs on the fp32 engine without a resident fp32 copy. Widening bf16 is exact (the
 * 16 bits become the high half of a float), so results equal MatMul on the widened weights, bit for bit:
 * <ul>
 *     <li>T == 1 (decode): {@link Gemv}'s loop, same lanes and order, widening each vector of weights in registers;
 *     it streams half the bytes of fp32.</li>
 *     <li>T &gt; 1 (prefill): the matrix is widened into a per-thread scratch array and run by {@link MatMul}'s GEMM
 *     (widening costs one pass over W, small next to T x in x out FMAs; the scratch is the largest matrix).</li>
 * </ul>
 */
public final class Bf16MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = Gemv.ROWS;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private Bf16MatMul() {
    }

    /** y[t*out + o] = sum_i x[t*in + i] * W[o, i] + (bias == null ? 0 : bias[o]); w holds out*in bf16 values. */
    public static void matmul(float[] x, int T, MemorySegment w, float[] bias, int in, int out, float[] y) {
        if (T < 0 || in < 0 || out < 0) throw new IllegalArgumentException("negative size: T=" + T + " in=" + in + " out=" + out);
        Objects.checkFromIndexSize(0, (long) T * in, x.length);
        Objects.checkFromIndexSize(0, 2L * out * in, w.byteSize());
        Objects.checkFromIndexSize(0, (long) T * out, y.length);
        if (bias != null) Objects.checkFromIndexSize(0, out, bias.length);
        if (T == 1) Parallel.forRange((out + ROWS - 1) / ROWS, (long) in * out, (b0, b1) ->
                gemvRows(x, w, bias, in, y, b0 * ROWS, Math.min(out, b1 * ROWS)));
        else if (T > 1) {
            int n = Math.multiplyExact(in, out);
            float[] wide = SCRATCH.get();
            if (wide.length < n) SCRATCH.set(wide = new float[n]);
            float[] dst = wide;
            Parallel.forRange(out, (long) in * out / 8, (o0, o1) -> widen(w, (long) o0 * in, dst, o0 * in, (o1 - o0) * in));
            MatMul.matmul(x, 0, T, dst, 0, bias, in, out, y, 0);
        }
    }

    /** dst[dOff + j] = float(w[from + j]) for j < n, from and n in elements. */
    public static void widen(MemorySegment w, long from, float[] dst, int dOff, int n) {
        int bound = S.loopBound(n), j = 0;
        for (; j < bound; j += L) load(w, 2 * (from + j)).intoArray(dst, dOff + j);
        for (; j < n; j++) dst[dOff + j] = scalar(w, from + j);
    }

    private static FloatVector load(MemorySegment w, long byteOffset) {
        ShortVector h = ShortVector.fromMemorySegment(H, w, byteOffset, ByteOrder.LITTLE_ENDIAN);
        // sign extension fills the high 16 bits, which the shift pushes out
        return ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float scalar(MemorySegment w, long index) {
        return Float.intBitsToFloat(w.getAtIndex(BF16, index) << 16);
    }

    /** {@link Gemv}'s rows with bf16 weights: same accumulators and order. */
    private static void gemvRows(float[] x, MemorySegment w, float[] bias, int in, float[] y, int o0, int o1) {
        int bound = S.loopBound(in);
        int o = o0;
        for (; o + ROWS <= o1; o += ROWS) {
            long w0 = (long) o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                a0 = load(w, 2 * (w0 + i)).fma(v, a0);
                a1 = load(w, 2 * (w1 + i)).fma(v, a1);
                a2 = load(w, 2 * (w2 + i)).fma(v, a2);
                a3 = load(w, 2 * (w3 + i)).fma(v, a3);
            }
            float s0 = VectorOps.sumLanes(a0), s1 = VectorOps.sumLanes(a1);
            float s2 = VectorOps.sumLanes(a2), s3 = VectorOps.sumLanes(a3);
            for (int i = bound; i < in; i++) {
                float v = x[i];
                s0 += scalar(w, w0 + i) * v;
                s1 += scalar(w, w1 + i) * v;
                s2 += scalar(w, w2 + i) * v;
                s3 += scalar(w, w3 + i) * v;
            }
            if (bias != null) {
                s0 += bias[o];
                s1 += bias[o + 1];
                s2 += bias[o + 2];
                s3 += bias[o + 3];
            }
            y[o] = s0;
            y[o + 1] = s1;
            y[o + 2] = s2;
            y[o + 3] = s3;
        }
        if (o < o1) {
            float[] row = new float[in]; // the last out % 4 rows: widened, then Gemv's own dot
            for (; o < o1; o++) {
                widen(w, (long) o * in, row, 0, in);
                y[o] = VectorOps.dot(x, 0, row, 0, in) + (bias == null ? 0f : bias[o]);
            }
        }
    }
}
