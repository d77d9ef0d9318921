package sq.model;

import org.junit.jupiter.api.Test;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The int8 attention BMMs (int8 KV cache) against an exact scalar reference and against float attention. */
class Int8AttentionTest {

    /**
     * tiny/qwen3's own shape, plus head sizes that fill 16-lane vectors (64) and leave a tail (72 + 5); prefill
     * after a cached prefix, decode (T = 1), and a prefill long enough for several query chunks of the BMMs.
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> shapes() {
        ModelConfig tiny = ModelLoader.load(Fixtures.bundled("tiny/qwen3")).config();
        ModelConfig gqa = new ModelConfig(new Llama(), 256, 1, 4, 2, 64, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        ModelConfig odd = new ModelConfig(new Llama(), 231, 1, 3, 1, 77, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        ModelConfig mqa = new ModelConfig(new Llama(), 256, 1, 4, 1, 64, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        return java.util.stream.Stream.of(args(tiny, 7, 5), args(gqa, 7, 5), args(odd, 7, 5), args(tiny, 1, 12),
                args(gqa, 1, 40), args(odd, 1, 3), args(mqa, Int8LayerCache.ROWS / 4 + 9, 3), args(odd, 37, 0));
    }

    private static org.junit.jupiter.params.provider.Arguments args(ModelConfig c, int T, int start) {
        return org.junit.jupiter.params.provider.Arguments.of(c, T, start);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "hd={0}, T={1}, start={2}")
    @org.junit.jupiter.params.provider.MethodSource("shapes")
    void matchesAScalarReferenceOfTheSameInt8Math(ModelConfig c, int T, int start) {
        // in a memory of its own (blocks in order) and through a scrambled block table of a larger pool
        int cap = start + T + 3, blocks = KvMemory.blocksFor(cap);
        check(c, T, start, LayerCache.create(c, cap, true));
        check(c, T, start, LayerCache.Memory.allocate(c, 2 * blocks + 1, true).through(PagedKvTest.scrambled(blocks, 2 * blocks + 1)));
    }

    /**
     * The working arrays are per thread and grow to the largest call seen: a short prefill, then a decode at a longer
     * context, on one fresh thread (the decode needs more of P's buffer, which holds an extra row, than of the scores').
     */
    @Test
    void oneThreadsBuffersServeAShortPrefillThenALongDecode() throws Exception {
        ModelConfig mha = new ModelConfig(new Llama(), 128, 1, 2, 2, 64, 512, 100, 64, 1e-5f, 10000.0, false, 1, 2);
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                check(mha, 12, 0, LayerCache.create(mha, 12, true));
                check(mha, 1, 100, LayerCache.create(mha, 101, true));
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        assertThat(failure[0]).isNull();
    }

    private static void check(ModelConfig c, int T, int start, LayerCache cache) {
        Random r = new Random(3);
        float[] k0 = random(r, start * c.kvDim()), v0 = random(r, start * c.kvDim());
        cache.store(k0, v0, start, 0);
        float[] k = random(r, T * c.kvDim()), v = random(r, T * c.kvDim()), q = random(r, T * c.qDim());
        cache.store(k, v, T, start);
        float[] out = new float[T * c.qDim()];
        cache.attend(q, out, T, start, Attention.standard(c.headDim()));
        // reference: dequantize q, k, v and the folded P exactly as the kernel rounds them, in double
        float[] allK = concat(k0, k), allV = concat(v0, v);
        int hd = c.headDim(), kvHeads = c.kvHeads(), group = c.heads() / kvHeads;
        for (int t = 0; t < T; t++)
            for (int h = 0; h < c.heads(); h++) {
                int kvh = h / group, n = start + t + 1;
                byte[] q8 = new byte[hd];
                float sq = quantize(q, t * c.qDim() + h * hd, hd, q8, 0);
                float[] p = new float[n];
                float[] vs = new float[n];
                byte[][] v8 = new byte[n][hd];
                for (int j = 0; j < n; j++) {
                    byte[] k8 = new byte[hd];
                    float sk = quantize(allK, (j * kvHeads + kvh) * hd, hd, k8, 0);
                    vs[j] = quantize(allV, (j * kvHeads + kvh) * hd, hd, v8[j], 0);
                    long dot = 0;
                    for (int i = 0; i < hd; i++) dot += q8[i] * k8[i];
                    p[j] = sq * sk * dot * (float) (1.0 / Math.sqrt(hd));
                }
                Softmax.fast(p, 0, n);
                for (int j = 0; j < n; j++) p[j] *= vs[j];
                int[] p8 = new int[n];
                float sp = quantizeUnsigned(p, n, p8);
                for (int i = 0; i < hd; i++) {
                    long acc = 0;
                    for (int j = 0; j < n; j++) acc += p8[j] * v8[j][i];
                    assertThat(out[t * c.qDim() + h * hd + i]).isEqualTo(sp * acc);
                }
            }
    }

    @Test
    void int8AttentionKeepsStories260kPerplexity() throws Exception {
        var dir = Fixtures.bundled("stories260K");
        Model m = ModelLoader.load(dir);
        int[] ids = Tokenizer.load(dir.resolve("tokenizer.json"))
                .encode(new String(Files.readAllBytes(Fixtures.bundled("text/tinystories-val.txt")), StandardCharsets.UTF_8));
        Windows w = Windows.of(ids, 256, 0, 40, "tinystories");
        double fp = Perplexity.evaluate(new Transformer(m, false), w, i -> { }).ppl();
        double int8 = Perplexity.evaluate(new Transformer(m, true), w, i -> { }).ppl();
        System.out.printf("stories260K ppl: float attention %.4f, int8 attention %.4f (%+.3f%%)%n", fp, int8, 100 * (int8 / fp - 1));
        assertThat(int8 / fp - 1).isBetween(-0.005, 0.005);
    }

    /** Rounds x[from, from+n) to int8 into dst[at..]; returns the scale (symmetric absmax, round half to even). */
    private static float quantize(float[] x, int from, int n, byte[] dst, int at) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(x[from + i]));
        float s = Math.max(max, 1e-5f) / 127f;
        for (int i = 0; i < n; i++) dst[at + i] = (byte) Math.rint(x[from + i] / s);
        return s;
    }

    /** Non-negative p[0, n) to 0..255; returns the scale. */
    private static float quantizeUnsigned(float[] p, int n, int[] dst) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, p[i]);
        float s = Math.max(max, 1e-5f) / 255f;
        for (int i = 0; i < n; i++) dst[i] = (int) Math.rint(p[i] / s);
        return s;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() * (i % 7 == 0 ? 5 : 1);
        return a;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
