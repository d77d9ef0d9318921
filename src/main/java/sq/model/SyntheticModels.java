package sq.model;

import sq.io.InputException;
import sq.kernels.Parallel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Models of real shapes with deterministic random weights generated in-process, for benchmarks (no download).
 * Weights are uniform with std 0.02 (like common initializers), norm gains 1.
 */
public final class SyntheticModels {
    private static final Map<String, ModelConfig> SHAPES = Map.of(
            "tinyllama-1.1b", new ModelConfig(new Llama(), 2048, 22, 32, 4, 64, 5632, 32000, 2048, 1e-5f, 10000.0, false, 1, 2),
            "smollm2-360m", new ModelConfig(new Llama(), 960, 32, 15, 5, 64, 2560, 49152, 8192, 1e-5f, 100000.0, true, 1, 2));

    private SyntheticModels() {
    }

    public static List<String> shapes() {
        return SHAPES.keySet().stream().sorted().toList();
    }

    public static ModelConfig config(String shape) {
        ModelConfig c = SHAPES.get(shape);
        if (c == null) throw new InputException("unknown shape '" + shape + "'; known: " + String.join(", ", shapes()));
        return c;
    }

    public static Model build(String shape, long seed) {
        ModelConfig c = config(shape);
        Architecture a = c.architecture();
        int h = c.hidden();
        long[] stream = {seed};
        float[] embed = random(c.vocab() * h, stream);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            LayerNames n = a.layer(i);
            layers.add(new Layer(ones(n.attnNorm(), h), null, null, ones(n.mlpNorm(), h),
                    linear(n.q(), h, c.qDim(), stream), linear(n.k(), h, c.kvDim(), stream), linear(n.v(), h, c.kvDim(), stream),
                    linear(n.o(), c.qDim(), h, stream), linear(n.gate(), h, c.intermediate(), stream),
                    linear(n.up(), h, c.intermediate(), stream), linear(n.down(), c.intermediate(), h, stream)));
        }
        Linear head = c.tiedEmbeddings() ? new DenseLinear(a.lmHead(), embed, null, h, c.vocab()) : linear(a.lmHead(), h, c.vocab(), stream);
        return new Model(c, embed, null, layers, ones(a.finalNorm(), h), head);
    }

    private static NormWeights ones(String name, int n) {
        float[] w = new float[n];
        Arrays.fill(w, 1f);
        return new NormWeights(name, w, null);
    }

    private static Linear linear(String name, int in, int out, long[] stream) {
        return new DenseLinear(name, random(in * out, stream), null, in, out);
    }

    /** Fills in parallel; each 64K block has its own seed so the result does not depend on the thread count. */
    private static float[] random(int n, long[] stream) {
        float[] w = new float[n];
        long base = stream[0]++ * 0x9E3779B97F4A7C15L;
        float a = 0.02f * (float) Math.sqrt(3);
        int block = 1 << 16, blocks = (n + block - 1) / block;
        Parallel.forRange(blocks, (from, to) -> {
            for (int b = from; b < to; b++) {
                SplittableRandom r = new SplittableRandom(base + b);
                for (int i = b * block, end = Math.min(n, i + block); i < end; i++) w[i] = (float) (r.nextDouble(-a, a));
            }
        });
        return w;
    }
}
