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
    /** Each shape as the config.json its family ships (sizes and the keys that change the block), parsed as any other. */
    private static final Map<String, String> CONFIGS = Map.of(
            "tinyllama-1.1b", llama("LlamaForCausalLM", 2048, 22, 32, 4, 5632, 32000, 2048, 1e-5, 10000.0, false, ""),
            "smollm2-360m", llama("LlamaForCausalLM", 960, 32, 15, 5, 2560, 49152, 8192, 1e-5, 100000.0, true, ""),
            "llama3.2-1b", llama("LlamaForCausalLM", 2048, 16, 32, 8, 8192, 128256, 131072, 1e-5, 500000.0, true,
                    ", \"head_dim\": 64, \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 32.0, "
                            + "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"),
            "qwen2.5-1.5b", llama("Qwen2ForCausalLM", 1536, 28, 12, 2, 8960, 151936, 32768, 1e-6, 1000000.0, true, ""),
            "gemma2-2b", llama("Gemma2ForCausalLM", 2304, 26, 8, 4, 9216, 256000, 8192, 1e-6, 10000.0, true,
                    ", \"head_dim\": 256, \"hidden_activation\": \"gelu_pytorch_tanh\", \"query_pre_attn_scalar\": 256, "
                            + "\"attn_logit_softcapping\": 50.0, \"final_logit_softcapping\": 30.0, \"sliding_window\": 4096, "
                            + "\"layer_types\": " + alternating(26)),
            "phi3-mini", llama("Phi3ForCausalLM", 3072, 32, 32, 32, 8192, 32064, 4096, 1e-5, 10000.0, false, ""),
            // OLMoE-1B-7B's sizes (64 experts, top-8, softmax then top-k, not renormalized) in Qwen3-MoE's layout: the
            // speed depends on the sizes only (OLMoE's q/k norm spans the whole projection, Qwen3's each head)
            "olmoe-1b-7b", llama("Qwen3MoeForCausalLM", 2048, 16, 16, 16, 1024, 50304, 4096, 1e-5, 10000.0, false,
                    ", \"head_dim\": 128, \"num_experts\": 64, \"num_experts_per_tok\": 8, \"moe_intermediate_size\": 1024, "
                            + "\"norm_topk_prob\": false"));

    private static final Map<String, ModelConfig> SHAPES = new java.util.HashMap<>();

    private static String llama(String cls, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, int positions,
                                double eps, double theta, boolean tied, String extra) {
        String ropeTheta = extra.contains("rope_parameters") ? "" : ", \"rope_theta\": " + theta;
        return "{\"architectures\": [\"" + cls + "\"], \"hidden_size\": " + hidden + ", \"num_hidden_layers\": " + layers
                + ", \"num_attention_heads\": " + heads + ", \"num_key_value_heads\": " + kvHeads + ", \"intermediate_size\": " + ffn
                + ", \"vocab_size\": " + vocab + ", \"max_position_embeddings\": " + positions + ", \"rms_norm_eps\": " + eps
                + ropeTheta + ", \"tie_word_embeddings\": " + tied + ", \"bos_token_id\": 1, \"eos_token_id\": 2" + extra + "}";
    }

    /** Gemma 2's layer types: sliding, full, sliding, ... */
    private static String alternating(int layers) {
        StringBuilder b = new StringBuilder("[");
        for (int l = 0; l < layers; l++) b.append(l == 0 ? "" : ", ").append(l % 2 == 0 ? "\"sliding_attention\"" : "\"full_attention\"");
        return b.append("]").toString();
    }

    private final ModelConfig cfg;
    private final long seed;

    private SyntheticModels(ModelConfig cfg, long seed) {
        this.cfg = cfg;
        this.seed = seed;
    }

    public static List<String> shapes() {
        return CONFIGS.keySet().stream().sorted().toList();
    }

    public static synchronized ModelConfig config(String shape) {
        String json = CONFIGS.get(shape);
        if (json == null) throw new InputException("unknown shape '" + shape + "'; known: " + String.join(", ", shapes()));
        return SHAPES.computeIfAbsent(shape, k -> Architectures.parse(sq.io.Json.parse("shape " + k, json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), java.nio.file.Path.of("shape " + k)));
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
        Map<String, Linear> l = new java.util.HashMap<>();
        int k = 0;
        for (ModelConfig.LinearShape s : cfg.linearShapes(i)) l.put(s.name(), linear(s.name(), s.in(), s.out(), base + k++));
        Layer layer = new Layer(ones(n.attnNorm(), h), ones(n.postAttnNorm(), h), ones(n.mlpNorm(), h), ones(n.postMlpNorm(), h),
                ones(n.qNorm(), cfg.qkNormWidth(false)), ones(n.kNorm(), cfg.qkNormWidth(true)), l.get(n.q()), l.get(n.k()),
                l.get(n.v()), l.get(n.qkv()), l.get(n.o()), l.get(n.gate()), l.get(n.up()), l.get(n.gateUp()), l.get(n.down()));
        MoeNames mn = cfg.architecture().moe(i);
        if (mn != null) layer.moe = moe(mn, i);
        return layer;
    }

    /** A sparse layer's router and experts (their tensors numbered apart from the dense ones: 1e6 per layer). */
    private Moe moe(MoeNames n, int layer) {
        MoeConfig c = cfg.block().moe();
        int h = cfg.hidden(), E = c.experts(), I = c.intermediate(), t = 1_000_000 * (layer + 1);
        Linear[] gate = new Linear[E], up = new Linear[E], down = new Linear[E];
        for (int e = 0; e < E; e++) {
            gate[e] = linear(n.expertGate(e), h, I, t++);
            up[e] = linear(n.expertUp(e), h, I, t++);
            down[e] = linear(n.expertDown(e), I, h, t++);
        }
        Linear router = linear(n.router(), h, E, t++);
        if (n.shared() == null) return new Moe(router, null, gate, up, down, null, null, null, null, null);
        int S = c.sharedIntermediate();
        return new Moe(router, n.sharedGate() == null ? null : linear(n.sharedGate(), h, 1, t++), gate, up, down,
                linear(n.sharedGateProj(), h, S, t++), linear(n.sharedUpProj(), h, S, t++), linear(n.sharedDownProj(), S, h, t), null, null);
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

    /** Unit gains (0 where the norm's gains are 1 + w), or null for an absent norm. */
    private NormWeights ones(String name, int n) {
        if (name == null) return null;
        float[] w = new float[n];
        if (cfg.block().norm() != Architecture.Norm.RMS_UNIT_OFFSET) Arrays.fill(w, 1f);
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
