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
    /** BF16 linear weights stay in the mapped file ({@link Bf16Linear}) instead of being widened into arrays. */
    private boolean mapBf16;
    /** BF16 embeddings and an untied lm_head stay in the mapped file ({@link Bf16Embedding}, {@link Bf16Linear}). */
    private boolean mapBf16Ends;

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
        Block b = cfg.block();
        int h = cfg.hidden(), D = b.embedDim();
        check(a.embedTokens() + ".weight", cfg.vocab(), D);
        if (a.embedPositions() != null) check(a.embedPositions() + ".weight", (long) cfg.maxPositions() + b.positionOffset(), h);
        if (b.embedNorm()) checkNorm(a.embedNorm(), h);
        if (a.projectIn() != null) {
            checkLinear(a.projectIn(), D, h);
            checkLinear(a.projectOut(), h, D);
        }
        for (int i = 0; i < cfg.layers(); i++) {
            LayerNames n = a.layer(i);
            for (String norm : new String[]{n.attnNorm(), n.postAttnNorm(), n.mlpNorm(), n.postMlpNorm()}) if (norm != null) checkNorm(norm, h);
            if (n.qNorm() != null) checkNorm(n.qNorm(), cfg.qkNormWidth(false));
            if (n.kNorm() != null) checkNorm(n.kNorm(), cfg.qkNormWidth(true));
            if (a.sinks(i) != null) check(a.sinks(i), cfg.heads());
            if (a.moe(i) != null) MoeLoader.check(this, cfg, a.moe(i));
            if (linears != null) continue;
            for (ModelConfig.LinearShape s : cfg.linearShapes(i)) checkLinear(s.name(), s.in(), s.out());
        }
        if (b.finalNorm()) checkNorm(a.finalNorm(), h);
        if (!cfg.tiedEmbeddings()) checkLinear(a.lmHead(), D, cfg.vocab());
        checked = true;
        return this;
    }

    private void checkNorm(String module, int dim) {
        check(module + ".weight", dim);
        if (cfg.block().norm() == Architecture.Norm.LAYER && ckpt.has(module + ".bias")) check(module + ".bias", dim);
    }

    void checkLinear(String module, int in, int out) {
        if (cfg.architecture().transposedWeights()) check(module + ".weight", in, out);
        else check(module + ".weight", out, in);
        if (ckpt.has(module + ".bias")) check(module + ".bias", out);
    }

    void check(String name, long... shape) {
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
        int D = cfg.block().embedDim();
        String name = cfg.architecture().embedTokens() + ".weight";
        if (mapBf16Ends && isBf16(name)) return new Bf16Embedding(name, mappedReleased(name, cfg.vocab(), D).data(), cfg.vocab(), D);
        return new FloatEmbedding(tensor(name, cfg.vocab(), D), cfg.vocab(), D);
    }

    @Override
    public float[] positions() {
        Architecture a = cfg.architecture();
        return a.embedPositions() == null ? null
                : tensor(a.embedPositions() + ".weight", cfg.maxPositions() + cfg.block().positionOffset(), cfg.hidden());
    }

    @Override
    public NormWeights embedNorm() {
        return cfg.block().embedNorm() ? norm(cfg.architecture().embedNorm(), cfg.hidden()) : null;
    }

    @Override
    public Linear projectIn() {
        String p = cfg.architecture().projectIn();
        return p == null ? null : linear(p, cfg.block().embedDim(), cfg.hidden());
    }

    @Override
    public Linear projectOut() {
        String p = cfg.architecture().projectOut();
        return p == null ? null : linear(p, cfg.hidden(), cfg.block().embedDim());
    }

    @Override
    public Layer layer(int i) {
        LayerNames n = cfg.architecture().layer(i);
        int h = cfg.hidden();
        LinearReader r = linears != null ? linears : this::linear;
        java.util.Map<String, Linear> read = new java.util.HashMap<>();
        for (ModelConfig.LinearShape s : cfg.linearShapes(i)) read.put(s.name(), r.read(s.name(), s.in(), s.out()));
        Layer l = new Layer(norm(n.attnNorm(), h), norm(n.postAttnNorm(), h), norm(n.mlpNorm(), h), norm(n.postMlpNorm(), h),
                norm(n.qNorm(), cfg.qkNormWidth(false)), norm(n.kNorm(), cfg.qkNormWidth(true)),
                read.get(n.q()), read.get(n.k()), read.get(n.v()), read.get(n.qkv()), read.get(n.o()), read.get(n.gate()),
                read.get(n.up()), read.get(n.gateUp()), read.get(n.down()));
        Architecture a = cfg.architecture();
        if (a.moe(i) != null) l.moe = MoeLoader.read(this, cfg, a.moe(i), r);
        if (a.sinks(i) != null) l.sinks = tensor(a.sinks(i), cfg.heads());
        return l;
    }

    boolean has(String name) {
        return ckpt.has(name);
    }

    /** Whether decoder-layer linears come from a quantized reader (checked by it, not here). */
    boolean quantized() {
        return linears != null;
    }

    @Override
    public NormWeights finalNorm() {
        return cfg.block().finalNorm() ? norm(cfg.architecture().finalNorm(), cfg.hidden()) : null;
    }

    @Override
    public Linear lmHead(Embedding embed) {
        String name = cfg.architecture().lmHead();
        if (cfg.tiedEmbeddings()) return embed.tiedHead(name);
        int D = cfg.block().embedDim();
        if (mapBf16Ends && !cfg.architecture().transposedWeights() && isBf16(name + ".weight"))
            return new Bf16Linear(name, mappedReleased(name + ".weight", cfg.vocab(), D).data(),
                    ckpt.has(name + ".bias") ? tensor(name + ".bias", cfg.vocab()) : null, D, cfg.vocab());
        return linear(name, D, cfg.vocab());
    }

    /**
     * A float tensor, shape and dtype checked; its mapped pages are released once converted, so reading a model layer
     * by layer keeps about one layer of the file resident, not every page read so far.
     */
    public float[] tensor(String name, long... shape) {
        if (!ckpt.has(name)) throw InputException.of(ckpt.dir(), "missing tensor '" + name + "' for " + cfg.architecture().name());
        TensorSlice t = ckpt.get(name).expectShape(shape);
        if (!t.dtype().isFloat())
            throw InputException.of(t.file(), "tensor '" + name + "' has dtype " + t.dtype() + "; only F32/F16/BF16 weights load as a float model");
        return t.toFloatsReleasing();
    }

    /** A norm's gain (and LayerNorm bias where present), or null for an absent module. */
    private NormWeights norm(String module, int dim) {
        if (module == null) return null;
        String bias = module + ".bias";
        float[] b = cfg.block().norm() == Architecture.Norm.LAYER && ckpt.has(bias) ? tensor(bias, dim) : null;
        return new NormWeights(module, tensor(module + ".weight", dim), b);
    }

    /**
     * Linears stored as BF16 (not transposed) load as {@link Bf16Linear}s over the mapped file: for the fp32 engine
     * only (quantization and smoothing need {@link DenseLinear}s), and the checkpoint must stay open while they run.
     */
    public ModelLoader mapBf16Linears() {
        mapBf16 = true;
        return this;
    }

    /**
     * BF16 embeddings and an untied BF16 lm_head are used where they lie (rows widened on lookup, bytes copied out by
     * the writer) instead of widened into fp32 arrays: for the layer-by-layer quantize, which only looks up the
     * calibration windows' rows and writes the tables unchanged. The checkpoint must stay open while they are used.
     */
    public ModelLoader mapBf16Ends() {
        mapBf16Ends = true;
        return this;
    }

    /**
     * fp32 bytes of the embeddings or untied lm_head (the larger; one is dropped before the other is read) that
     * {@link #embed} / {@link #lmHead} widen onto the heap: 0 when both stay mapped ({@link #mapBf16Ends}).
     */
    public long heapTableBytes() {
        Architecture a = cfg.architecture();
        boolean embedOnHeap = !(mapBf16Ends && isBf16(a.embedTokens() + ".weight"));
        boolean headOnHeap = !cfg.tiedEmbeddings() && !(mapBf16Ends && !a.transposedWeights() && isBf16(a.lmHead() + ".weight"));
        return embedOnHeap || headOnHeap ? 4L * cfg.vocab() * cfg.block().embedDim() : 0;
    }

    private boolean isBf16(String tensor) {
        return ckpt.has(tensor) && ckpt.get(tensor).dtype() == sq.io.DType.BF16;
    }

    /** A mapped tensor checked finite (as {@link #tensor} checks), its pages released as they are checked. */
    private TensorSlice mappedReleased(String name, long... shape) {
        return ckpt.get(name).expectShape(shape).requireFiniteReleasing();
    }

    /** A float linear: module.weight [out, in] ([in, out] for GPT-2's Conv1D, transposed here) and module.bias [out] where present. */
    public Linear linear(String module, int in, int out) {
        String bias = module + ".bias";
        if (mapBf16 && !cfg.architecture().transposedWeights() && ckpt.has(module + ".weight")
                && ckpt.get(module + ".weight").dtype() == sq.io.DType.BF16) {
            TensorSlice t = ckpt.get(module + ".weight").expectShape(out, in).requireFinite();
            return new Bf16Linear(module, t.data(), ckpt.has(bias) ? tensor(bias, out) : null, in, out);
        }
        float[] w;
        if (cfg.architecture().transposedWeights()) {
            float[] t = tensor(module + ".weight", in, out);
            w = new float[t.length];
            for (int i = 0; i < in; i++)
                for (int o = 0; o < out; o++) w[o * in + i] = t[i * out + o];
        } else {
            w = tensor(module + ".weight", out, in);
        }
        return new DenseLinear(module, w, ckpt.has(bias) ? tensor(bias, out) : null, in, out);
    }
}
