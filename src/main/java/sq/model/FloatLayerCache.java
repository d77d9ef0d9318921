package sq.model;

import sq.kernels.Parallel;
import sq.kernels.VectorOps;

import java.util.Arrays;

/**
 * Keys and values in float32 read through a block table ({@link KvMemory}); attention in float32 (as PyTorch's eager
 * attention), one key at a time, so the table costs an index per key.
 */
final class FloatLayerCache implements LayerCache {
    /** One layer's float memory: keys and values [positions, kvDim] row-major, block b at rows b * BLOCK... */
    static final class Blocks implements LayerCache.Memory {
        private final ModelConfig cfg;
        private final float[] keys, values;

        Blocks(ModelConfig cfg, int blocks) {
            this.cfg = cfg;
            keys = new float[Math.multiplyExact(blocks * KvMemory.BLOCK, cfg.kvDim())];
            values = new float[keys.length];
        }

        @Override
        public LayerCache through(int[] table) {
            return new FloatLayerCache(this, table);
        }
    }

    private final ModelConfig cfg;
    private final float[] keys, values;
    private final int[] table;

    private FloatLayerCache(Blocks m, int[] table) {
        this.cfg = m.cfg;
        this.keys = m.keys;
        this.values = m.values;
        this.table = table;
    }

    @Override
    public void store(float[] k, float[] v, int tokens, int start) {
        int kvDim = cfg.kvDim();
        for (int t0 = 0; t0 < tokens; ) { // one copy per run of consecutive blocks
            int t1 = KvMemory.runEnd(table, start + t0, start + tokens) - start, p = KvMemory.position(table, start + t0);
            System.arraycopy(k, t0 * kvDim, keys, p * kvDim, (t1 - t0) * kvDim);
            System.arraycopy(v, t0 * kvDim, values, p * kvDim, (t1 - t0) * kvDim);
            t0 = t1;
        }
    }

    @Override
    public void attend(float[] q, float[] out, int T, int start, Attention a) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvDim = cfg.kvDim(), group = heads / cfg.kvHeads();
        float scale = a.scale();
        boolean adjust = a.adjustsScores();
        Parallel.forRange(T * heads, (from, to) -> {
            float[] scores = new float[start + T];
            for (int job = from; job < to; job++) {
                int t = job / heads, head = job % heads, kvOff = (head / group) * hd;
                int qOff = t * cfg.qDim() + head * hd, first = a.firstKey(start + t), n = start + t + 1 - first;
                for (int j = 0; j < n; j++) {
                    float sc = VectorOps.dot(q, qOff, keys, KvMemory.position(table, first + j) * kvDim + kvOff, hd) * scale;
                    scores[j] = adjust ? a.adjust(sc, head, first + j) : sc;
                }
                a.softmax(scores, 0, n, head);
                Arrays.fill(out, qOff, qOff + hd, 0f);
                for (int j = 0; j < n; j++)
                    VectorOps.axpy(scores[j], values, KvMemory.position(table, first + j) * kvDim + kvOff, out, qOff, hd);
            }
        });
    }
}
