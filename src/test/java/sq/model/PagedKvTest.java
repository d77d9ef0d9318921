package sq.model;

import org.junit.jupiter.api.Test;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.testing.Fixtures;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The paged KV cache: a sequence's positions in a shared {@link KvMemory} through its block table. Reading through
 * any table must give exactly the attention (and logits) of the same cache with its blocks in order, a contiguous
 * stretch of memory, which is the command-line paths' cache and was the only one before paging.
 */
class PagedKvTest {
    static final int B = KvMemory.BLOCK;

    /** n distinct block ids of a pool of pool blocks, no two consecutive in table order (every block its own run). */
    static int[] scrambled(int n, int pool) {
        if (pool < 2 * n - 1) throw new IllegalArgumentException("pool too small");
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 2 * (n - 1 - i); // even ids, descending
        return t;
    }

    @Test
    void blockTableRunsAndPositions() {
        int[] t = {5, 6, 7, 2, 3, 9};
        assertThat(KvMemory.position(t, 0)).isEqualTo(5 * B);
        assertThat(KvMemory.position(t, B + 1)).isEqualTo(6 * B + 1);
        assertThat(KvMemory.position(t, 3 * B + B - 1)).isEqualTo(2 * B + B - 1);
        assertThat(KvMemory.runEnd(t, 0, 6 * B)).as("blocks 5, 6, 7 are one run").isEqualTo(3 * B);
        assertThat(KvMemory.runEnd(t, B + 3, 6 * B)).as("from inside a run").isEqualTo(3 * B);
        assertThat(KvMemory.runEnd(t, 3 * B, 6 * B)).isEqualTo(5 * B);
        assertThat(KvMemory.runEnd(t, 5 * B, 6 * B)).isEqualTo(6 * B);
        assertThat(KvMemory.runEnd(t, 3, 10)).as("a sequence ending mid-block").isEqualTo(10);
        assertThat(KvMemory.runEnd(t, 0, 3 * B)).as("exactly full blocks").isEqualTo(3 * B);
        assertThat(KvMemory.runEnd(t, 3 * B, 3 * B + 1)).as("the first position of a block").isEqualTo(3 * B + 1);
        assertThat(KvMemory.blocksFor(0)).isZero();
        assertThat(KvMemory.blocksFor(1)).isEqualTo(1);
        assertThat(KvMemory.blocksFor(B)).isEqualTo(1);
        assertThat(KvMemory.blocksFor(B + 1)).isEqualTo(2);
        ModelConfig cfg = ModelLoader.load(Fixtures.bundled("stories260K")).config();
        KvMemory m = new KvMemory(cfg, 4, true);
        assertThat(m.bytes()).isEqualTo(4L * B * KvMemory.bytesPerPosition(cfg, true));
        assertThatThrownBy(() -> new KvCache(m, new int[]{0, 4}, 20)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block 4");
        assertThatThrownBy(() -> new KvCache(m, new int[]{0}, B + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * One layer's attention through a scrambled table equals the in-order cache bit for bit, int8 and float, at
     * lengths that end mid-block, on a block's last and first position, on whole blocks; with a sliding window, a
     * soft-cap and ALiBi; prefill chunks after a prefix, and decode.
     */
    @Test
    void attentionThroughAnyTableEqualsInOrder() {
        ModelConfig gqa = new ModelConfig(new Llama(), 128, 1, 4, 2, 64, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        ModelConfig odd = new ModelConfig(new Llama(), 231, 1, 3, 1, 77, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        int[][] startAndT = {{0, 1}, {0, 5}, {B - 1, 1}, {B, 1}, {0, 3 * B}, {5, 40}, {3 * B, 2 * B + 3}, {B + 7, 1}};
        Attention[] attentions = {Attention.standard(64), new Attention(0.125f, 30f, 20, null),
                new Attention(0.125f, 0, 0, Attention.alibiSlopes(4))};
        for (ModelConfig c : List.of(gqa, odd))
            for (boolean int8 : new boolean[]{true, false})
                for (int[] st : c == gqa ? startAndT : new int[][]{startAndT[3], startAndT[5]}) // odd: vector tails, 3 heads a group
                    for (Attention a : st[1] > B ? attentions : new Attention[]{attentions[0]}) { // windows etc. on long rows
                        int start = st[0], T = st[1], n = KvMemory.blocksFor(start + T);
                        float[] inOrder = attend(c, int8, LayerCache.create(c, start + T, int8), start, T, a);
                        float[] paged = attend(c, int8, LayerCache.Memory.allocate(c, 2 * n + 1, int8).through(scrambled(n, 2 * n + 1)), start, T, a);
                        assertThat(paged).as("int8 %s, start %d, T %d, %s", int8, start, T, a).isEqualTo(inOrder);
                    }
    }

    /** Stores a random prefix of start positions, then T more, and attends the T queries. */
    private static float[] attend(ModelConfig c, boolean int8, LayerCache cache, int start, int T, Attention a) {
        Random r = new Random(start * 31 + T);
        if (start > 0) cache.store(random(r, start * c.kvDim()), random(r, start * c.kvDim()), start, 0);
        cache.store(random(r, T * c.kvDim()), random(r, T * c.kvDim()), T, start);
        float[] q = random(r, T * c.qDim()), out = new float[T * c.qDim()];
        cache.attend(q, out, T, start, a);
        return out;
    }

    /**
     * Three sequences of stories260K in one memory, their blocks interleaved (a: 0, 3, 6, ..., b: 1, 4, ..., c: 2,
     * 5, ... reversed), stepped together by forwardBatch (prefill, then greedy decode past several block ends): their
     * logits equal those of the same batch in in-order caches of their own, bit for bit, for the int8 engine (W8A8,
     * int8 attention) and the float reference; the int8 engine's (exact integer sums) also equal each sequence's run
     * alone.
     */
    @Test
    void interleavedSequencesEqualEachAlone() {
        Model fp32 = ModelLoader.load(Fixtures.bundled("stories260K"));
        Model w8a8 = Int8Models.streamNaive(LayerSource.of(fp32), Scheme.parse("w8a8"), HeadPrecision.INT8);
        int[][] prompts = {{1, 400, 20, 31, 7, 99, 3}, {1, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81}, {1, 5}};
        int steps = 24, blocks = KvMemory.blocksFor(prompts[1].length + steps);
        for (boolean int8 : new boolean[]{true, false}) {
            Transformer tf = new Transformer(int8 ? w8a8 : fp32, int8);
            KvMemory memory = new KvMemory(fp32.config(), 3 * blocks, int8);
            KvCache[] paged = new KvCache[3], inOrder = new KvCache[3];
            for (int i = 0; i < 3; i++) {
                int[] table = new int[blocks];
                for (int b = 0; b < blocks; b++) table[i == 2 ? blocks - 1 - b : b] = 3 * b + i; // the last one reversed
                paged[i] = new KvCache(memory, table, blocks * B);
                inOrder[i] = tf.newCache(blocks * B);
            }
            float[][][] got = greedyBatch(tf, prompts, paged, steps), want = greedyBatch(tf, prompts, inOrder, steps);
            for (int i = 0; i < 3; i++)
                for (int s = 0; s < steps; s++) assertThat(got[i][s]).as("int8 %s, sequence %d, step %d", int8, i, s).isEqualTo(want[i][s]);
            if (!int8) continue;
            for (int i = 0; i < 3; i++) {
                KvCache own = tf.newCache(prompts[i].length + steps);
                int[] in = prompts[i];
                for (int s = 0; s < steps; s++) {
                    float[] logits = tf.forward(in, own, false);
                    assertThat(got[i][s]).as("alone: sequence %d, step %d", i, s).isEqualTo(logits);
                    in = new int[]{argmax(logits)};
                }
            }
        }
    }

    /** [sequence][step] logits of the prompts run together, then greedy decode, for steps steps. */
    private static float[][][] greedyBatch(Transformer tf, int[][] prompts, KvCache[] caches, int steps) {
        int n = prompts.length;
        float[][][] out = new float[n][steps][];
        int[][] next = prompts.clone();
        boolean[] all = new boolean[n];
        java.util.Arrays.fill(all, true);
        for (int s = 0; s < steps; s++) {
            float[][] logits = tf.forwardBatch(next, caches, all);
            for (int i = 0; i < n; i++) {
                out[i][s] = logits[i];
                next[i] = new int[]{argmax(logits[i])};
            }
        }
        return out;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() * (i % 7 == 0 ? 5 : 1);
        return a;
    }
}
