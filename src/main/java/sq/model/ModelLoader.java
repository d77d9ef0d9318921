package sq.model;

import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.TensorSlice;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Hugging Face checkpoint folder -> {@link Model} in fp32 (F16/BF16 weights upcast exactly), shapes checked. */
public final class ModelLoader {
    private final Checkpoint ckpt;
    private final ModelConfig cfg;

    private ModelLoader(Checkpoint ckpt, ModelConfig cfg) {
        this.ckpt = ckpt;
        this.cfg = cfg;
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
        ModelConfig cfg = readConfig(ckpt);
        return new ModelLoader(ckpt, cfg).build();
    }

    private Model build() {
        Architecture a = cfg.architecture();
        int h = cfg.hidden();
        float[] embed = tensor(a.embedTokens() + ".weight", cfg.vocab(), h);
        float[] positions = a.embedPositions() == null ? null
                : tensor(a.embedPositions() + ".weight", cfg.maxPositions() + a.positionOffset(), h);
        List<Layer> layers = new ArrayList<>(cfg.layers());
        for (int i = 0; i < cfg.layers(); i++) {
            LayerNames n = a.layer(i);
            boolean gated = a.mlp() == Architecture.Mlp.SWIGLU;
            layers.add(new Layer(norm(n.attnNorm(), h), n.qNorm() == null ? null : norm(n.qNorm(), cfg.headDim()),
                    n.kNorm() == null ? null : norm(n.kNorm(), cfg.headDim()), norm(n.mlpNorm(), h),
                    linear(n.q(), h, cfg.qDim()), linear(n.k(), h, cfg.kvDim()), linear(n.v(), h, cfg.kvDim()),
                    linear(n.o(), cfg.qDim(), h), gated ? linear(n.gate(), h, cfg.intermediate()) : null,
                    linear(n.up(), h, cfg.intermediate()), linear(n.down(), cfg.intermediate(), h)));
        }
        NormWeights finalNorm = norm(a.finalNorm(), h);
        Linear head;
        if (cfg.tiedEmbeddings()) {
            head = new DenseLinear(a.lmHead(), embed, null, h, cfg.vocab());
        } else {
            head = linear(a.lmHead(), h, cfg.vocab());
        }
        return new Model(cfg, embed, positions, layers, finalNorm, head);
    }

    private float[] tensor(String name, long... shape) {
        if (!ckpt.has(name)) throw InputException.of(ckpt.dir(), "missing tensor '" + name + "' for " + cfg.architecture().name());
        TensorSlice t = ckpt.get(name).expectShape(shape);
        if (!t.dtype().isFloat())
            throw InputException.of(t.file(), "tensor '" + name + "' has dtype " + t.dtype() + "; only F32/F16/BF16 weights load as a float model");
        return t.toFloats();
    }

    private float[] optional(String name, long... shape) {
        return ckpt.has(name) ? tensor(name, shape) : null;
    }

    private NormWeights norm(String module, int dim) {
        float[] b = cfg.architecture().norm() == Architecture.Norm.LAYER ? tensor(module + ".bias", dim) : null;
        return new NormWeights(module, tensor(module + ".weight", dim), b);
    }

    private Linear linear(String module, int in, int out) {
        return new DenseLinear(module, tensor(module + ".weight", out, in), optional(module + ".bias", out), in, out);
    }
}
