package sq.model;

import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.TensorSlice;

import java.nio.file.Path;

/**
 * Hugging Face checkpoint -> fp32 parameters (F16/BF16 weights upcast exactly), shapes checked. As a
 * {@link LayerSource} it reads one layer at a time from the memory-mapped files.
 */
public final class ModelLoader implements LayerSource {
    private final Checkpoint ckpt;
    private final ModelConfig cfg;

    public ModelLoader(Checkpoint ckpt) {
        this.ckpt = ckpt;
        this.cfg = readConfig(ckpt);
    }

    public static ModelConfig readConfig(Checkpoint ckpt) {
        return Architectures.parse(ckpt.config(), ckpt.dir().resolve("config.json"));
    }

    public static Model load(Path dir) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            return load(ckpt);
        }
    }

    public static Model load(Checkpoint ckpt) {
        return new ModelLoader(ckpt).load();
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public float[] embed() {
        return tensor(cfg.architecture().embedTokens() + ".weight", cfg.vocab(), cfg.hidden());
    }

    @Override
    public float[] positions() {
        Architecture a = cfg.architecture();
        return a.embedPositions() == null ? null
                : tensor(a.embedPositions() + ".weight", cfg.maxPositions() + a.positionOffset(), cfg.hidden());
    }

    @Override
    public Layer layer(int i) {
        LayerNames n = cfg.architecture().layer(i);
        int h = cfg.hidden();
        boolean gated = cfg.architecture().mlp() == Architecture.Mlp.SWIGLU;
        return new Layer(norm(n.attnNorm(), h), n.qNorm() == null ? null : norm(n.qNorm(), cfg.headDim()),
                n.kNorm() == null ? null : norm(n.kNorm(), cfg.headDim()), norm(n.mlpNorm(), h),
                linear(n.q(), h, cfg.qDim()), linear(n.k(), h, cfg.kvDim()), linear(n.v(), h, cfg.kvDim()),
                linear(n.o(), cfg.qDim(), h), gated ? linear(n.gate(), h, cfg.intermediate()) : null,
                linear(n.up(), h, cfg.intermediate()), linear(n.down(), cfg.intermediate(), h));
    }

    @Override
    public NormWeights finalNorm() {
        return norm(cfg.architecture().finalNorm(), cfg.hidden());
    }

    @Override
    public Linear lmHead(float[] embed) {
        String name = cfg.architecture().lmHead();
        return cfg.tiedEmbeddings() ? new DenseLinear(name, embed, null, cfg.hidden(), cfg.vocab())
                : linear(name, cfg.hidden(), cfg.vocab());
    }

    private float[] tensor(String name, long... shape) {
        if (!ckpt.has(name)) throw InputException.of(ckpt.dir(), "missing tensor '" + name + "' for " + cfg.architecture().name());
        TensorSlice t = ckpt.get(name).expectShape(shape);
        if (!t.dtype().isFloat())
            throw InputException.of(t.file(), "tensor '" + name + "' has dtype " + t.dtype() + "; only F32/F16/BF16 weights load as a float model");
        return t.toFloats();
    }

    private NormWeights norm(String module, int dim) {
        float[] b = cfg.architecture().norm() == Architecture.Norm.LAYER ? tensor(module + ".bias", dim) : null;
        return new NormWeights(module, tensor(module + ".weight", dim), b);
    }

    private Linear linear(String module, int in, int out) {
        String bias = module + ".bias";
        return new DenseLinear(module, tensor(module + ".weight", out, in), ckpt.has(bias) ? tensor(bias, out) : null, in, out);
    }
}
