package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.CompressedTensorsConfig;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.TensorSlice;

import java.nio.file.Path;

/**
 * Hugging Face checkpoint -> fp32 parameters (F16/BF16 weights upcast exactly), shapes checked. As a
 * {@link LayerSource} it reads one layer at a time from the memory-mapped files.
 */
public final class ModelLoader implements LayerSource {
    /** Reads the decoder-layer linear with HF module name `module`; quantized formats plug in here. */
    @FunctionalInterface
    public interface LinearReader {
        Linear read(String module, int in, int out);
    }

    private final Checkpoint ckpt;
    private final ModelConfig cfg;
    /** null: float linears, checked up front with everything else */
    private final LinearReader linears;

    private boolean checked;

    /** Reads config.json; the tensors are checked ({@link #checkTensors}) before the first one is converted. */
    public ModelLoader(Checkpoint ckpt) {
        this(ckpt, null);
    }

    /**
     * A loader whose decoder-layer linears come from linearReader (which checks what it reads); lm_head, embeddings
     * and norms stay float.
     */
    public ModelLoader(Checkpoint ckpt, LinearReader linearReader) {
        this.ckpt = ckpt;
        this.cfg = readConfig(ckpt);
        this.linears = linearReader;
    }

    /**
     * config.json as a typed config. A quantization_config (a compressed-tensors folder such as ./sq quantize writes)
     * is checked too, so a malformed one is reported with its key.
     */
    public static ModelConfig readConfig(Checkpoint ckpt) {
        Path file = ckpt.dir().resolve("config.json");
        quantization(ckpt);
        return Architectures.parse(ckpt.config(), file);
    }

    /** The checkpoint's compressed-tensors quantization_config, checked, or null when it has none. */
    public static CompressedTensorsConfig quantization(Checkpoint ckpt) {
        JsonNode q = ckpt.config().get("quantization_config");
        return q == null || q.isNull() ? null : CompressedTensorsConfig.parse(q, ckpt.dir().resolve("config.json"));
    }

    /**
     * Checks every tensor load() will read (present, shape, float dtype) without converting any, so a broken
     * checkpoint fails before minutes of loading; optional biases are checked where present. Runs once, at the
     * latest before the embeddings are read.
     */
    public ModelLoader checkTensors() {
        if (checked) return this;
        Architecture a = cfg.architecture();
        int h = cfg.hidden();
        check(a.embedTokens() + ".weight", cfg.vocab(), h);
        if (a.embedPositions() != null) check(a.embedPositions() + ".weight", (long) cfg.maxPositions() + a.positionOffset(), h);
        for (int i = 0; i < cfg.layers(); i++) {
            LayerNames n = a.layer(i);
            checkNorm(n.attnNorm(), h);
            checkNorm(n.mlpNorm(), h);
            if (n.qNorm() != null) checkNorm(n.qNorm(), cfg.headDim());
            if (n.kNorm() != null) checkNorm(n.kNorm(), cfg.headDim());
            if (linears != null) continue;
            checkLinear(n.q(), h, cfg.qDim());
            checkLinear(n.k(), h, cfg.kvDim());
            checkLinear(n.v(), h, cfg.kvDim());
            checkLinear(n.o(), cfg.qDim(), h);
            if (a.mlp() == Architecture.Mlp.SWIGLU) checkLinear(n.gate(), h, cfg.intermediate());
            checkLinear(n.up(), h, cfg.intermediate());
            checkLinear(n.down(), cfg.intermediate(), h);
        }
        checkNorm(a.finalNorm(), h);
        if (!cfg.tiedEmbeddings()) checkLinear(a.lmHead(), h, cfg.vocab());
        checked = true;
        return this;
    }

    private void checkNorm(String module, int dim) {
        check(module + ".weight", dim);
        if (cfg.architecture().norm() == Architecture.Norm.LAYER) check(module + ".bias", dim);
    }

    private void checkLinear(String module, int in, int out) {
        check(module + ".weight", out, in);
        if (ckpt.has(module + ".bias")) check(module + ".bias", out);
    }

    private void check(String name, long... shape) {
        if (!ckpt.has(name)) throw InputException.of(ckpt.dir(), "missing tensor '" + name + "' for " + cfg.architecture().name());
        TensorSlice t = ckpt.get(name).expectShape(shape);
        if (!t.dtype().isFloat()) {
            CompressedTensorsConfig q = quantization(ckpt);
            throw InputException.of(t.file(), "tensor '" + name + "' has dtype " + t.dtype() + "; only F32/F16/BF16 weights load as a float model"
                    + (q == null ? "" : " (this checkpoint is quantized: compressed-tensors " + q.describe() + ")"));
        }
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
    public Embedding embed() {
        checkTensors();
        return new FloatEmbedding(tensor(cfg.architecture().embedTokens() + ".weight", cfg.vocab(), cfg.hidden()), cfg.vocab(), cfg.hidden());
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
        LinearReader r = linears != null ? linears : this::linear;
        return new Layer(norm(n.attnNorm(), h), n.qNorm() == null ? null : norm(n.qNorm(), cfg.headDim()),
                n.kNorm() == null ? null : norm(n.kNorm(), cfg.headDim()), norm(n.mlpNorm(), h),
                r.read(n.q(), h, cfg.qDim()), r.read(n.k(), h, cfg.kvDim()), r.read(n.v(), h, cfg.kvDim()),
                r.read(n.o(), cfg.qDim(), h), gated ? r.read(n.gate(), h, cfg.intermediate()) : null,
                r.read(n.up(), h, cfg.intermediate()), r.read(n.down(), cfg.intermediate(), h));
    }

    @Override
    public NormWeights finalNorm() {
        return norm(cfg.architecture().finalNorm(), cfg.hidden());
    }

    @Override
    public Linear lmHead(Embedding embed) {
        String name = cfg.architecture().lmHead();
        return cfg.tiedEmbeddings() ? embed.tiedHead(name) : linear(name, cfg.hidden(), cfg.vocab());
    }

    /** A float tensor, shape and dtype checked. */
    public float[] tensor(String name, long... shape) {
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

    /** A float linear: module.weight [out, in] and module.bias [out] where present. */
    public Linear linear(String module, int in, int out) {
        String bias = module + ".bias";
        return new DenseLinear(module, tensor(module + ".weight", out, in), ckpt.has(bias) ? tensor(bias, out) : null, in, out);
    }
}
