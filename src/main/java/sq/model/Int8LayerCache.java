package sq.model;

import jdk.incubator.vector.ByteVector;
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

    /** sum_i a[i] * b[bOff + i] over n int8 values, exact. */
    static int dot8(byte[] a, byte[] b, int bOff, int n) {
        int i = 0, dot = 0;
        if (n >= 16) {
            IntVector acc = IntVector.zero(I16);
            for (; i + 16 <= n; i += 16) {
                IntVector x = (IntVector) ByteVector.fromArray(B16, a, i).convertShape(VectorOperators.B2I, I16, 0);
                IntVector y = (IntVector) ByteVector.fromArray(B16, b, bOff + i).convertShape(VectorOperators.B2I, I16, 0);
                acc = acc.add(x.mul(y));
            }
            dot = acc.reduceLanes(VectorOperators.ADD); // integer: order does not matter
        }
        for (; i < n; i++) dot += a[i] * b[bOff + i];
        return dot;
    }

    /** acc[i] += w * v[vOff + i] over n int8 values, exact. */
    static void axpy8(int w, byte[] v, int vOff, int[] acc, int n) {
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            IntVector x = (IntVector) ByteVector.fromArray(B16, v, vOff + i).convertShape(VectorOperators.B2I, I16, 0);
            IntVector.fromArray(I16, acc, i).add(x.mul(w)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] += w * v[vOff + i];
    }

    @Override
    public void attend(float[] q, float[] out, int T, int start) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvHeads = cfg.kvHeads(), group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(T * heads, (from, to) -> {
            float[] p = new float[start + T];
            byte[] q8 = new byte[hd];
            int[] p8 = new int[start + T];
            int[] acc = new int[hd];
            for (int job = from; job < to; job++) {
                int t = job / heads, head = job % heads, kvh = head / group;
                int qOff = t * cfg.qDim() + head * hd, n = start + t + 1;
                float sq = quantize(q, qOff, hd, q8, 0);
                for (int j = 0; j < n; j++) {
                    int row = j * kvHeads + kvh;
                    p[j] = sq * kScale[row] * dot8(q8, keys, row * hd, hd) * scale;
                }
                Softmax.inPlace(p, n);
                for (int j = 0; j < n; j++) p[j] *= vScale[j * kvHeads + kvh];
                float sp = quantizeUnsigned(p, n, p8);
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j < n; j++) {
                    int w = p8[j];
                    if (w == 0) continue;
                    axpy8(w, values, (j * kvHeads + kvh) * hd, acc, hd);
                }
                for (int i = 0; i < hd; i++) out[qOff + i] = sp * acc[i];
            }
        });
    }
}
