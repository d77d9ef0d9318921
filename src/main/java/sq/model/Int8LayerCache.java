package sq.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sq.kernels.Parallel;

/**
 * Int8 keys and values with a float scale per (position, kv head), and attention whose two BMMs run on int8
 * operands with int32 accumulation:
 * <pre>
 *   score_j = s_q * s_k[j] * (q8 . k8[j]) / sqrt(d)                        Q.K^T
 *   p'_j    = softmax(score)_j * s_v[j];  p8 = round(p' / s_p), s_p = max(p') / 255   (unsigned: p' >= 0)
 *   out     = s_p * sum_j p8_j * v8[j]                                     P.V
 * </pre>
 * Folding each position's value scale into P keeps P.V a pure 8-bit dot product although V has per-position scales;
 * P is non-negative, so it uses all 256 levels of an unsigned byte (as int8 attention kernels do for probabilities).
 * Scales are symmetric absmax (max(|x|, 1e-5) / 127) per row, round half to even, as everywhere in sq.
 */
final class Int8LayerCache implements LayerCache {
    private final ModelConfig cfg;
    private final byte[] keys, values;   // [capacity, kvDim]
    private final float[] kScale, vScale; // [capacity, kvHeads]

    Int8LayerCache(ModelConfig cfg, int capacity) {
        this.cfg = cfg;
        keys = new byte[Math.multiplyExact(capacity, cfg.kvDim())];
        values = new byte[capacity * cfg.kvDim()];
        kScale = new float[capacity * cfg.kvHeads()];
        vScale = new float[capacity * cfg.kvHeads()];
    }

    @Override
    public void store(float[] k, float[] v, int tokens, int start) {
        int hd = cfg.headDim(), kvHeads = cfg.kvHeads();
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < kvHeads; h++) {
                int src = (t * kvHeads + h) * hd, row = (start + t) * kvHeads + h;
                kScale[row] = quantize(k, src, hd, keys, row * hd);
                vScale[row] = quantize(v, src, hd, values, row * hd);
            }
    }

    /** Rounds x[from, from+n) to int8 into dst[at..]; returns the scale. */
    static float quantize(float[] x, int from, int n, byte[] dst, int at) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(x[from + i]));
        float s = Math.max(max, 1e-5f) / 127f;
        for (int i = 0; i < n; i++) dst[at + i] = (byte) Math.rint(x[from + i] / s);
        return s;
    }

    /** Non-negative p[0, n) to 0..255 (held in ints); returns the scale. */
    static float quantizeUnsigned(float[] p, int n, int[] dst) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, p[i]);
        float s = Math.max(max, 1e-5f) / 255f;
        for (int i = 0; i < n; i++) dst[i] = (int) Math.rint(p[i] / s);
        return s;
    }

    // 16 bytes widened to 16 int lanes: exact int32 products and sums, the same integers as the scalar loops
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final int L = I16.length();

    /** sum_i a[i] * b[bOff + i] over n values, exact; a holds int8 values already widened (once per query). */
    static int dot8(int[] a, byte[] b, int bOff, int n) {
        int i = 0, dot = 0;
        if (n >= L) {
            IntVector acc = IntVector.zero(I16);
            for (; i + L <= n; i += L) acc = acc.add(IntVector.fromArray(I16, a, i).mul(widen(b, bOff + i)));
            dot = acc.reduceLanes(VectorOperators.ADD); // integer: order does not matter
        }
        for (; i < n; i++) dot += a[i] * b[bOff + i];
        return dot;
    }

    /**
     * out[outOff + i] = scale * sum_{j &lt; n} w[j] * v[vOff + j*ld + i] for i &lt; d, the sum exact in int32. Lanes run
     * along i, one 16-lane block at a time over all j, so each block's sum stays in a register.
     */
    static void weightedSum(int[] w, int n, byte[] v, int vOff, int ld, int d, float scale, float[] out, int outOff) {
        int i = 0;
        for (; i + L <= d; i += L) {
            IntVector acc = IntVector.zero(I16);
            for (int j = 0; j < n; j++) if (w[j] != 0) acc = acc.add(widen(v, vOff + j * ld + i).mul(w[j]));
            ((FloatVector) acc.convert(VectorOperators.I2F, 0)).mul(scale).intoArray(out, outOff + i);
        }
        for (; i < d; i++) {
            int acc = 0;
            for (int j = 0; j < n; j++) acc += w[j] * v[vOff + j * ld + i];
            out[outOff + i] = scale * acc;
        }
    }

    private static IntVector widen(byte[] b, int off) {
        return (IntVector) ByteVector.fromArray(B16, b, off).convertShape(VectorOperators.B2I, I16, 0);
    }

    @Override
    public void attend(float[] q, float[] out, int T, int start) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvHeads = cfg.kvHeads(), group = heads / kvHeads, kvDim = cfg.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(T * heads, (from, to) -> {
            float[] p = new float[start + T];
            byte[] q8 = new byte[hd];
            int[] qi = new int[hd];
            int[] p8 = new int[start + T];
            for (int job = from; job < to; job++) {
                int t = job / heads, head = job % heads, kvh = head / group;
                int qOff = t * cfg.qDim() + head * hd, n = start + t + 1;
                float sq = quantize(q, qOff, hd, q8, 0);
                for (int i = 0; i < hd; i++) qi[i] = q8[i];
                for (int j = 0; j < n; j++) {
                    int row = j * kvHeads + kvh;
                    p[j] = sq * kScale[row] * dot8(qi, keys, row * hd, hd) * scale;
                }
                Softmax.fast(p, n);
                for (int j = 0; j < n; j++) p[j] *= vScale[j * kvHeads + kvh];
                float sp = quantizeUnsigned(p, n, p8);
                weightedSum(p8, n, values, kvh * hd, kvDim, hd, sp, out, qOff);
            }
        });
    }
}
