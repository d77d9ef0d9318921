package sq.model;

import sq.io.InputException;
import sq.kernels.Parallel;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Models of real shapes with deterministic random weights generated in-process, for benchmarks (no download).
 * Weights are uniform with std 0.02 (like common initializers), norm gains 1. Each tensor has its own seed, so a
 * layer can be generated alone ({@link LayerSource}) and equals the same layer of the whole model.
 */
public final class SyntheticModels implements LayerSource {
    private static final Map<String, ModelConfig> SHAPES = Map.of(
            "tinyllama-1.1b", new ModelConfig(new Llama(), 2048, 22, 32, 4, 64, 5632, 32000, 2048, 1e-5f, 10000.0, false, 1, 2),
            "smollm2-360m", new ModelConfig(new Llama(), 960, 32, 15, 5, 64, 2560, 49152, 8192, 1e-5f, 100000.0, true, 1, 2));

    private final ModelConfig cfg;
    private final long seed;

    private SyntheticModels(ModelConfig cfg, long seed) {
        this.cfg = cfg;
        this.seed = seed;
    }

    public static List<String> shapes() {
        return SHAPES.keySet().stream().sorted().toList();
    }

    public static ModelConfig config(String shape) {
        ModelConfig c = SHAPES.get(shape);
        if (c == null) throw new InputException("unknown shape '" + shape + "'; known: " + String.join(", ", shapes()));
        return c;
    }

    public static SyntheticModels source(String shape, long seed) {
        return new SyntheticModels(config(shape), seed);
    }

    public static Model build(String shape, long seed) {
        return source(shape, seed).load();
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public Embedding embed() {
        return new FloatEmbedding(random(cfg.vocab() * cfg.hidden(), 0), cfg.vocab(), cfg.hidden());
    }

    @Override
    public float[] positions() {
        return null;
    }

    @Override
    public Layer layer(int i) {
        LayerNames n = cfg.architecture().layer(i);
        int h = cfg.hidden(), base = 16 * (i + 1);
        return new Layer(ones(n.attnNorm(), h), null, null, ones(n.mlpNorm(), h),
                linear(n.q(), h, cfg.qDim(), base), linear(n.k(), h, cfg.kvDim(), base + 1), linear(n.v(), h, cfg.kvDim(), base + 2),
                linear(n.o(), cfg.qDim(), h, base + 3), linear(n.gate(), h, cfg.intermediate(), base + 4),
                linear(n.up(), h, cfg.intermediate(), base + 5), linear(n.down(), cfg.intermediate(), h, base + 6));
    }

    @Override
    public NormWeights finalNorm() {
        return ones(cfg.architecture().finalNorm(), cfg.hidden());
    }

    @Override
    public Linear lmHead(Embedding embed) {
        return cfg.tiedEmbeddings() ? embed.tiedHead(cfg.architecture().lmHead())
                : linear(cfg.architecture().lmHead(), cfg.hidden(), cfg.vocab(), 1);
    }

    private static NormWeights ones(String name, int n) {
        float[] w = new float[n];
        Arrays.fill(w, 1f);
        return new NormWeights(name, w, null);
    }

    private Linear linear(String name, int in, int out, int tensor) {
        return new DenseLinear(name, random(in * out, tensor), null, in, out);
    }

    /** Fills in parallel; each 64K block has its own seed so the result does not depend on the thread count. */
    private float[] random(int n, int tensor) {
        float[] w = new float[n];
        long base = (seed * 1_000_003L + tensor) * 0x9E3779B97F4A7C15L;
        float a = 0.02f * (float) Math.sqrt(3);
        int block = 1 << 16, blocks = (n + block - 1) / block;
        Parallel.forRange(blocks, (from, to) -> {
            for (int b = from; b < to; b++) {
                SplittableRandom r = new SplittableRandom(base + b);
                for (int i = b * block, end = Math.min(n, i + block); i < end; i++) w[i] = (float) r.nextDouble(-a, a);
            }
        });
        return w;
    }
}
