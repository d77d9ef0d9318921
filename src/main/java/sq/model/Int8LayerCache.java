package sq.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import sq.kernels.Int8MatMul;
import sq.kernels.Int8Quantize;
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
 *
 * <p>Both BMMs run on the int8 matmul kernels ({@link Int8MatMul#dots}), one kv head at a time over the queries of
 * all its heads (grouped-query attention shares the keys): Q.K^T as queries x keys, P.V as P x V^T, V being kept
 * transposed per kv head ([d][position]) so its rows are what the kernels stream. The kernels take signed bytes,
 * so P.V runs on p8 - 128 and adds back 128 * sum_j v8[j] (exact: p8 = 0 beyond the causal limit, where the
 * shifted value is -128 and the column sum covers it). Queries go in chunks of about {@link #ROWS} rows, keys up
 * to the chunk's last position: the kernels also compute the masked scores above the diagonal, which is cheaper
 * than going through keys one at a time.
 *
 * <p>The memory is the pool's ({@link KvMemory}, layout in {@link Blocks}), read through the sequence's block table:
 * each BMM is one kernel call per run of consecutive blocks (one in all for a table in order). Scores are per key,
 * so splitting keys into runs changes none of them; P.V's int32 sums, and the column sums of V, are added over the
 * runs, exactly, before the one float step s_p * (sum + 128 * colSum): the results are those of a contiguous cache,
 * bit for bit.
 */
final class Int8LayerCache implements LayerCache {
    /** Query rows (tokens x heads of a group) per BMM call: bounds the score buffer at ROWS x positions. */
    static final int ROWS = 512;

    /**
     * One layer's int8 memory for a pool of P = blocks x BLOCK positions, block b at positions b * BLOCK..:
     * keys [P, kvDim], values transposed per kv head [kvHeads, headDim, P] (block b is columns b * BLOCK.. of each
     * row, so a run of consecutive blocks is one stretch of every row, which the P.V kernel streams), scales
     * [P, kvHeads].
     */
    static final class Blocks implements LayerCache.Memory {
        private final ModelConfig cfg;
        private final int positions;
        private final byte[] keys, valuesT;
        private final float[] kScale, vScale;

        Blocks(ModelConfig cfg, int blocks) {
            this.cfg = cfg;
            positions = Math.multiplyExact(blocks, KvMemory.BLOCK);
            keys = new byte[Math.multiplyExact(positions, cfg.kvDim())];
            valuesT = new byte[keys.length];
            kScale = new float[positions * cfg.kvHeads()];
            vScale = new float[kScale.length];
        }

        @Override
        public LayerCache through(int[] table) {
            return new Int8LayerCache(this, table);
        }
    }

    private final ModelConfig cfg;
    private final int P;                  // positions of the memory: the row length of valuesT
    private final byte[] keys, valuesT;
    private final float[] kScale, vScale;
    private final int[] table;            // logical block -> physical block

    private Int8LayerCache(Blocks m, int[] table) {
        this.cfg = m.cfg;
        this.P = m.positions;
        this.keys = m.keys;
        this.valuesT = m.valuesT;
        this.kScale = m.kScale;
        this.vScale = m.vScale;
        this.table = table;
    }

    /** Working arrays of attend and store, per thread and shared by all layers; they grow to the largest call seen. */
    private static final class Scratch {
        byte[] v8 = new byte[0], q8 = new byte[0], qg = new byte[0], p8 = new byte[0];
        float[] sq = new float[0], sqg = new float[0], scores = new float[0], sp = new float[0], ks = new float[0], vs = new float[0];
        int[] colSum = new int[0], pv = new int[0];

        byte[] v8(int n) {
            if (v8.length < n) v8 = new byte[n];
            return v8;
        }

        /** Room for queryRows quantized query rows (token, head) of hd. */
        Scratch queries(int queryRows, int hd) {
            if (q8.length < queryRows * hd) q8 = new byte[queryRows * hd];
            if (sq.length < queryRows) sq = new float[queryRows];
            return this;
        }

        /** Room for one kv head's work: chunks of maxRows query rows of hd, up to maxKeys keys. */
        Scratch heads(int hd, int maxRows, int maxKeys) {
            if (qg.length < maxRows * hd) {
                qg = new byte[maxRows * hd];
                pv = new int[maxRows * hd];
            }
            if (sqg.length < maxRows) {
                sqg = new float[maxRows];
                sp = new float[maxRows];
            }
            if (scores.length < maxRows * maxKeys) scores = new float[maxRows * maxKeys];
            if (p8.length < (maxRows + 1) * maxKeys) p8 = new byte[(maxRows + 1) * maxKeys]; // + a row of ones: attendHead
            if (ks.length < maxKeys) {
                ks = new float[maxKeys];
                vs = new float[maxKeys];
            }
            if (colSum.length < hd) colSum = new int[hd];
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public void store(float[] k, float[] v, int tokens, int start) {
        int hd = cfg.headDim(), kvHeads = cfg.kvHeads(), kvDim = cfg.kvDim();
        byte[] v8 = SCRATCH.get().v8(tokens * kvDim);
        for (int t0 = 0; t0 < tokens; ) { // a run of consecutive blocks at a time
            int t1 = KvMemory.runEnd(table, start + t0, start + tokens) - start, p = KvMemory.position(table, start + t0), n = t1 - t0;
            // rows (t, kv head) of hd values are contiguous in k and v: one per-token quantization over all of them
            Int8Quantize.perToken(k, t0 * kvDim, n * kvHeads, hd, keys, p * kvDim, kScale, p * kvHeads);
            Int8Quantize.perToken(v, t0 * kvDim, n * kvHeads, hd, v8, t0 * kvDim, vScale, p * kvHeads);
            for (int h = 0; h < kvHeads; h++)
                for (int d = 0; d < hd; d++) {
                    int dst = (h * hd + d) * P + p, src = t0 * kvDim + h * hd + d;
                    for (int t = 0; t < n; t++) valuesT[dst + t] = v8[src + t * kvDim];
                }
            t0 = t1;
        }
    }

    @Override
    public void attend(float[] q, float[] out, int T, int start, Attention a) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvHeads = cfg.kvHeads(), G = heads / kvHeads;
        Scratch caller = SCRATCH.get().queries(T * heads, hd);
        byte[] q8 = caller.q8;
        float[] sq = caller.sq;
        Int8Quantize.perToken(q, 0, T * heads, hd, q8, 0, sq, 0); // rows (t, head), contiguous
        // kv heads on separate threads when they divide evenly (each call then runs on one thread: no hand-offs, which
        // dominate a decode step's small BMMs); otherwise one kv head at a time, each BMM spread over the threads
        int chunk = Math.max(1, ROWS / G), maxRows = Math.min(T, chunk) * G, maxKeys = start + T;
        long cost = 4L * T * heads * maxKeys * hd;
        if (kvHeads % Parallel.threads() == 0) {
            Parallel.forRange(kvHeads, cost, (h0, h1) -> {
                Scratch w = SCRATCH.get().heads(hd, maxRows, maxKeys);
                for (int kvh = h0; kvh < h1; kvh++) attendHead(kvh, q8, sq, out, T, start, chunk, a, w);
            });
        } else {
            Scratch w = caller.heads(hd, maxRows, maxKeys);
            for (int kvh = 0; kvh < kvHeads; kvh++) attendHead(kvh, q8, sq, out, T, start, chunk, a, w);
        }
    }

    /**
     * The attention of kv head kvh's G query heads, chunk tokens at a time: q8, sq hold all T x heads quantized query
     * rows. Keys and values are read a run of consecutive blocks at a time (one BMM call per run); the P.V integer
     * sums of the runs, and the column sums of V, add up exactly to those over all keys at once.
     */
    private void attendHead(int kvh, byte[] q8, float[] sq, float[] out, int T, int start, int chunk, Attention a, Scratch w) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvHeads = cfg.kvHeads(), kvDim = cfg.kvDim(), G = heads / kvHeads;
        float scale = a.scale();
        boolean adjust = a.adjustsScores();
        int maxKeys = start + T;
        byte[] qg = w.qg, p8 = w.p8;
        float[] sqg = w.sqg, scores = w.scores, sp = w.sp, ks = w.ks, vs = w.vs;
        int[] colSum = w.colSum, pv = w.pv;
        for (int j0 = 0; j0 < maxKeys; j0 += KvMemory.BLOCK) { // this kv head's scales in logical order, a block at a time
            int p = KvMemory.position(table, j0), n = Math.min(KvMemory.BLOCK, maxKeys - j0);
            for (int i = 0; i < n; i++) {
                ks[j0 + i] = kScale[(p + i) * kvHeads + kvh];
                vs[j0 + i] = vScale[(p + i) * kvHeads + kvh];
            }
        }
        int vt = kvh * hd * P;
        for (int t0 = 0; t0 < T; t0 += chunk) {
            int t1 = Math.min(T, t0 + chunk), R = (t1 - t0) * G, N = start + t1; // rows r = (t - t0) * G + g
            for (int t = t0; t < t1; t++) { // this kv head's G query heads of token t, as G consecutive rows
                int src = t * heads + kvh * G, r = (t - t0) * G;
                System.arraycopy(q8, src * hd, qg, r * hd, G * hd);
                System.arraycopy(sq, src, sqg, r, G);
            }
            int first = t0, limit0 = start + t0 + 1; // row r sees keys j < limit0 + r / G
            // Q.K^T: scores[r, j] = s_q * s_k[j] * dot * scale, for the keys each row sees
            for (int j0 = 0; j0 < N; ) {
                int j1 = KvMemory.runEnd(table, j0, N), from = j0;
                Int8MatMul.dots(qg, 0, hd, R, keys, KvMemory.position(table, j0) * kvDim + kvh * hd, kvDim, hd, j1 - j0,
                        (acc, ld, rows, o, n) -> {
                            for (int r = 0; r < rows; r++)
                                scaleScores(acc, r * ld, Math.min(n, limit0 + r / G - from - o), sqg[r], ks, from + o, scale, scores,
                                        r * N + from + o);
                        });
                j0 = j1;
            }
            Parallel.forRange(R, 8L * R * N, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int n = limit0 + r / G, lo = a.firstKey(n - 1), head = kvh * G + r % G;
                    if (adjust) for (int j = lo; j < n; j++) scores[r * N + j] = a.adjust(scores[r * N + j], head, j);
                    if (a.sinks() != null) a.softmax(scores, r * N + lo, n - lo, head);
                    else Softmax.fast(scores, r * N + lo, n - lo);
                    java.util.Arrays.fill(scores, r * N, r * N + lo, 0f); // keys before the sliding window
                    sp[r] = shiftedUnsigned(scores, r * N, vs, n, N, p8, r * N);
                }
            });
            // P.V on p8 - 128: out = s_p * (dot + 128 * sum_j v8[j]), the int32 dots and column sums summed over runs.
            // The column sums are the dots of an extra row of ones (row R): the same kernel call, no separate pass
            // over V (a Vector API loop of its own ran un-intrinsified here once C2 stopped inlining into this method)
            java.util.Arrays.fill(p8, R * N, R * N + N, (byte) 1);
            java.util.Arrays.fill(colSum, 0, hd, 0);
            java.util.Arrays.fill(pv, 0, R * hd, 0);
            for (int j0 = 0; j0 < N; ) {
                int j1 = KvMemory.runEnd(table, j0, N), v0 = vt + KvMemory.position(table, j0);
                Int8MatMul.dots(p8, j0, N, R + 1, valuesT, v0, P, j1 - j0, hd, (acc, ld, rows, o, n) -> {
                    for (int r = 0; r < rows; r++) {
                        int[] dst = r < R ? pv : colSum;
                        int at = r < R ? r * hd + o : o;
                        for (int d = 0; d < n; d++) dst[at + d] += acc[r * ld + d];
                    }
                });
                j0 = j1;
            }
            for (int r = 0; r < R; r++) {
                int dst = ((first + r / G) * heads + kvh * G + r % G) * hd;
                for (int d = 0; d < hd; d++) out[dst + d] = sp[r] * (pv[r * hd + d] + 128 * colSum[d]);
            }
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> SF = VectorSpecies.of(int.class, S.vectorShape());

    /** dst[i] = sq * ks[o + i] * acc[a + i] * scale for i &lt; n (this order of float operations, as in scalar code). */
    private static void scaleScores(int[] acc, int a, int n, float sq, float[] ks, int o, float scale, float[] dst, int at) {
        int i = 0;
        for (int bound = S.loopBound(Math.max(n, 0)); i < bound; i += L) {
            FloatVector d = (FloatVector) IntVector.fromArray(SF, acc, a + i).convert(VectorOperators.I2F, 0);
            FloatVector.broadcast(S, sq).mul(FloatVector.fromArray(S, ks, o + i)).mul(d).mul(scale).intoArray(dst, at + i);
        }
        for (; i < n; i++) dst[at + i] = sq * ks[o + i] * acc[a + i] * scale;
    }

    /** Bytes with as many lanes as S, so the float -&gt; byte conversion is lane for lane. */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to an integer, half to even (= Math.rint). */
    private static final float ROUNDER = 12582912f;

    /**
     * p[j] = softmax[j] * vs[j] (the value scale folded into P) for j &lt; n, at s[off..]; quantizes them to 0..255 with
     * scale s_p = max(max p, 1e-5) / 255 and stores them shifted by -128 as signed bytes at dst[at..], positions n..N-1
     * as -128 (p8 = 0); returns s_p. The same float operations as p * vs, then round(p / s_p), in scalar code.
     */
    static float shiftedUnsigned(float[] s, int off, float[] vs, int n, int N, byte[] dst, int at) {
        FloatVector mx = FloatVector.zero(S);
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            FloatVector p = FloatVector.fromArray(S, s, off + i).mul(FloatVector.fromArray(S, vs, i));
            p.intoArray(s, off + i);
            mx = mx.max(p);
        }
        float max = mx.reduceLanes(VectorOperators.MAX); // p >= 0: exact in any order
        for (; i < n; i++) max = Math.max(max, s[off + i] *= vs[i]);
        float sp = Math.max(max, 1e-5f) / 255f;
        for (i = 0; i < bound; i += L) // rint(p / s_p) - 128 is an integer in [-128, 127]: exact
            FloatVector.fromArray(S, s, off + i).div(sp).add(ROUNDER).sub(ROUNDER).sub(128f)
                    .convertShape(VectorOperators.F2B, SB, 0).reinterpretAsBytes().intoArray(dst, at + i);
        for (; i < n; i++) dst[at + i] = (byte) ((int) Math.rint(s[off + i] / sp) - 128);
        java.util.Arrays.fill(dst, at + n, at + N, (byte) -128);
        return sp;
    }
}
