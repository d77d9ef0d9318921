package sq.model;

import sq.kernels.Parallel;
import sq.kernels.VectorOps;

import java.util.Arrays;

/** Keys and values in float32, [capacity, kvDim] row-major; attention in float32 (as PyTorch's eager attention). */
final class FloatLayerCache implements LayerCache {
    private final ModelConfig cfg;
    private final float[] keys, values;

    FloatLayerCache(ModelConfig cfg, int capacity) {
        this.cfg = cfg;
        keys = new float[Math.multiplyExact(capacity, cfg.kvDim())];
        values = new float[capacity * cfg.kvDim()];
    }

    @Override
    public void store(float[] k, float[] v, int tokens, int start) {
        System.arraycopy(k, 0, keys, start * cfg.kvDim(), tokens * cfg.kvDim());
        System.arraycopy(v, 0, values, start * cfg.kvDim(), tokens * cfg.kvDim());
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
                    float sc = VectorOps.dot(q, qOff, keys, (first + j) * kvDim + kvOff, hd) * scale;
                    scores[j] = adjust ? a.adjust(sc, head, first + j) : sc;
                }
                a.softmax(scores, 0, n, head);
                Arrays.fill(out, qOff, qOff + hd, 0f);
                for (int j = 0; j < n; j++) VectorOps.axpy(scores[j], values, (first + j) * kvDim + kvOff, out, qOff, hd);
            }
        });
    }
}
