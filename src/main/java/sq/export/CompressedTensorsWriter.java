package sq.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Checkpoint;
import sq.io.DType;
import sq.io.InputException;
import sq.io.Json;
import sq.io.SafetensorsWriter;
import sq.model.Architecture;
import sq.model.Bf16Embedding;
import sq.model.Bf16Linear;
import sq.model.Embedding;
import sq.model.DenseLinear;
import sq.model.FloatEmbedding;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;
import sq.quant.ActivationGranularity;
import sq.quant.ActivationStats;
import sq.quant.LayerPipeline;
import sq.quant.Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.quant.WeightGranularity;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a SmoothQuant result as a Hugging Face folder in the compressed-tensors "int-quantized" format (what vLLM
 * loads): int8 weights with float32 scales for every decoder-layer linear, smoothed norms, everything else in the
 * checkpoint's dtype, plus smoothquant.json (what vLLM does not read) and a README. Deterministic: the same inputs
 * give byte-identical files.
 */
public final class CompressedTensorsWriter implements LayerPipeline.Sink {
    /** Shards are cut before they pass this size, as transformers' save_pretrained does. */
    static final long MAX_SHARD_BYTES = 2L << 30;

    /** What the README says about how the folder was made. */
    public record Provenance(String source, String calibration, int calibTokens, Double pplBefore, Double pplAfter,
                             String evalText) {
    }

    /** The whole-model path: a SmoothQuant result in memory, through the same streaming writer. */
    public static void write(SmoothQuant.Result r, Path sourceDir, Provenance provenance, Path dir) throws IOException {
        Model m = r.smoothed();
        MoeExport.refuseUnloadable(m);
        CompressedTensorsWriter w = open(m.config(), r.scheme(), sourceDir, dir);
        w.front(m.embed(), m.positions(), m.embedNorm(), m.projectIn(), m.projectOut());
        for (int i = 0; i < m.layers().size(); i++) w.layer(i, m.layers().get(i), r.factors(), r.smoothedStats());
        w.back(m.finalNorm(), m.lmHead());
        w.finish(new LayerPipeline.Result(r.scheme(), r.stats(), r.smoothedStats(), r.alphas(), r.factors()), provenance);
    }

    private final ModelConfig cfg;
    private final Scheme scheme;
    private final Path sourceDir, dir;
    private final ObjectNode config;
    private final DType dtype;
    private final List<String> ignore;
    private final List<SafetensorsWriter> shards = new ArrayList<>();
    /** Shards written so far, under temporary names until the count is known. */
    private final List<Path> written = new ArrayList<>();

    private CompressedTensorsWriter(ModelConfig cfg, Scheme scheme, Path sourceDir, Path dir) {
        this.cfg = cfg;
        this.scheme = scheme;
        this.sourceDir = sourceDir;
        this.dir = dir;
        this.config = sourceDir != null ? (ObjectNode) Json.read(sourceDir.resolve("config.json")).deepCopy() : LlamaConfigJson.of(cfg);
        this.dtype = dtypeOf(config);
        this.ignore = ignored(cfg.architecture());
        shards.add(newShard(0));
    }

    /**
     * A writer that streams the tensors into dir as they come (front, each layer, back, then finish): a shard is
     * written out when it is full, so memory holds one layer, not the model.
     *
     * @param sourceDir the original model folder (config.json, tokenizer and generation config copied), or null
     *                  for models without one (llama2.c), whose config.json is generated
     * @param dir       an empty folder to write into (callers use {@link sq.io.AtomicOutput})
     */
    public static CompressedTensorsWriter open(ModelConfig cfg, Scheme scheme, Path sourceDir, Path dir) {
        return new CompressedTensorsWriter(cfg, scheme, sourceDir, dir);
    }

    /**
     * Bytes the output will take (int8 linears and their scales, everything else in dtype, one spooled shard on
     * top), an upper estimate to check the free disk space against before anything is written.
     */
    public static long estimateBytes(ModelConfig cfg, DType dtype) {
        int D = cfg.block().embedDim();
        long floats = (long) cfg.vocab() * D * (cfg.tiedEmbeddings() ? 1 : 2);
        if (cfg.architecture().embedPositions() != null)
            floats += (long) (cfg.maxPositions() + cfg.block().positionOffset()) * cfg.hidden();
        long int8 = 0, small = 0;
        for (int i = 0; i < cfg.layers(); i++)
            for (ModelConfig.LinearShape s : cfg.linearShapes(i)) {
                int8 += (long) s.in() * s.out();
                small += 4L * s.out() + 8L * s.in(); // scales, bias, norms (float32 where smoothed)
            }
        long total = floats * dtype.bytes + int8 + small;
        return total + Math.min(total, MAX_SHARD_BYTES) + (1L << 20);
    }

    /**
     * Fails, before anything is written, when the disk that will hold out has less free space than the output needs
     * (sourceDir as for {@link #open}).
     */
    public static void requireSpace(ModelConfig cfg, Path sourceDir, Path out) throws IOException {
        DType dtype = sourceDir != null ? dtypeOf(Json.read(sourceDir.resolve("config.json"))) : DType.F32;
        long need = estimateBytes(cfg, dtype);
        Path existing = out.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return; // nothing of the path exists: creating the folder will report it
        long free = Files.getFileStore(existing).getUsableSpace();
        if (free < need)
            throw InputException.of(out, String.format(Locale.ROOT, "the output needs about %.2f GB of free disk space, only %.2f GB is free there",
                    need / 1e9, free / 1e9));
    }

    /** Embeddings and what comes before the decoder layers. */
    @Override
    public void front(Embedding embed, float[] positions, NormWeights embedNorm, Linear projectIn, Linear projectOut) throws IOException {
        Architecture arch = cfg.architecture();
        int D = cfg.block().embedDim();
        String name = arch.embedTokens() + ".weight";
        if (embed instanceof Bf16Embedding b) bf16(name, b.table(), cfg.vocab(), D);
        else floats(name, dtype, ((FloatEmbedding) embed).table(), cfg.vocab(), D);
        if (positions != null) floats(arch.embedPositions() + ".weight", dtype, positions, positions.length / cfg.hidden(), cfg.hidden());
        if (embedNorm != null) norm(embedNorm, dtype);
        for (Linear p : new Linear[]{projectIn, projectOut}) if (p != null) floatLinear((DenseLinear) p, dtype);
    }

    /**
     * Decoder layer i, smoothed: int8 linears, norms in float32 where smoothed (factors has their name).
     *
     * @param smoothedStats static input scales (static schemes) of the smoothed model
     */
    @Override
    public void layer(int i, Layer l, Map<String, float[]> factors, ActivationStats smoothedStats) throws IOException {
        Architecture arch = cfg.architecture();
        boolean transposed = arch.transposedWeights();
        // smoothed norms in float32: not representable in bf16/f16 without breaking the identity
        for (NormWeights n : l.norms()) norm(n, factors.containsKey(n.name()) ? DType.F32 : dtype);
        for (Linear lin : l.linears()) linear((DenseLinear) lin, smoothedStats, transposed);
        if (l.moe != null) {
            MoeExport.refuseUnloadable(l);
            for (Linear g : MoeExport.gates(l.moe)) {
                floatLinear((DenseLinear) g, factors.containsKey(l.mlpNorm.name()) ? DType.F32 : dtype);
                ignore.add(g.name());
            }
        }
        if (l.sinks != null) floats(arch.sinks(i), dtype, l.sinks, l.sinks.length);
    }

    /** The final norm and an untied lm_head (ignored when tied). */
    @Override
    public void back(NormWeights finalNorm, Linear lmHead) throws IOException {
        if (finalNorm != null) norm(finalNorm, dtype);
        if (cfg.tiedEmbeddings()) return;
        if (lmHead instanceof Bf16Linear b) {
            bf16(b.name() + ".weight", b.weight(), b.out(), b.in());
            if (b.bias() != null) floats(b.name() + ".bias", dtype, b.bias(), b.out());
        } else {
            floatLinear((DenseLinear) lmHead, dtype);
        }
    }

    /**
     * A mapped BF16 tensor kept as it is: its bytes copied when the output is BF16 (bf16 -> fp32 -> bf16 is the
     * identity, so these are the bytes the float path writes), else widened and stored as dtype.
     */
    private void bf16(String name, MemorySegment data, long... shape) throws IOException {
        if (dtype == DType.BF16) {
            room(data.byteSize()).add(name, DType.BF16, shape, data);
            return;
        }
        float[] v = new float[Math.toIntExact(data.byteSize() / 2)];
        for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat((data.getAtIndex(BF16_LE, i) & 0xffff) << 16);
        floats(name, dtype, v, shape);
    }

    private static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The last shard, the index, config.json with its quantization_config, the copied files, smoothquant.json, README. */
    public void finish(LayerPipeline.Result r, Provenance provenance) throws IOException {
        config.set("quantization_config", quantizationConfig(scheme, ignore));
        Files.writeString(dir.resolve("config.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        writeShards();
        if (sourceDir != null)
            for (String f : new String[]{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                    "tokenizer.model", "vocab.json", "merges.txt"})
                if (Files.exists(sourceDir.resolve(f))) Files.copy(sourceDir.resolve(f), dir.resolve(f));
        Files.writeString(dir.resolve("smoothquant.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(extras(r)) + "\n");
        Files.writeString(dir.resolve("README.md"), readme(r, provenance));
    }

    /** The quantization_config block of config.json. */
    /** Linears outside the decoder layers, which stay in floating point. */
    static List<String> ignored(Architecture arch) {
        List<String> l = new ArrayList<>(List.of(arch.lmHead()));
        if (arch.projectIn() != null) l.addAll(List.of(arch.projectIn(), arch.projectOut()));
        return l;
    }

    static ObjectNode quantizationConfig(Scheme s, List<String> ignore) {
        ObjectNode q = Json.MAPPER.createObjectNode();
        q.put("quant_method", "compressed-tensors").put("format", "int-quantized").put("quantization_status", "compressed");
        ObjectNode g = q.putObject("config_groups").putObject("group_0");
        g.putArray("targets").add("Linear");
        ObjectNode w = g.putObject("weights");
        w.put("num_bits", 8).put("type", "int").put("symmetric", true).put("strategy", switch (s.weights()) {
            case PER_TENSOR -> "tensor";
            case PER_CHANNEL -> "channel";
            case PER_GROUP -> "group";
        });
        if (s.weights() == WeightGranularity.PER_GROUP) w.put("group_size", s.groupSize());
        else w.putNull("group_size");
        w.put("dynamic", false).put("observer", "minmax");
        ObjectNode a = g.putObject("input_activations");
        boolean isStatic = s.activations() == ActivationGranularity.PER_TENSOR_STATIC;
        a.put("num_bits", 8).put("type", "int").put("symmetric", true)
                .put("strategy", s.activations() == ActivationGranularity.PER_TOKEN ? "token" : "tensor").put("dynamic", !isStatic);
        if (isStatic) a.put("observer", "minmax");
        else a.putNull("observer");
        g.putNull("output_activations");
        ArrayNode ig = q.putArray("ignore");
        ignore.forEach(ig::add);
        q.putNull("kv_cache_scheme");
        q.putObject("sparsity_config");
        return q;
    }

    /**
     * An int8 linear: weight [out, in] ([in, out] where the architecture stores it so, GPT-2's Conv1D), its scales, the
     * static input scale, the bias.
     */
    private void linear(DenseLinear d, ActivationStats smoothedStats, boolean transposed) throws IOException {
        Scheme s = scheme;
        Quantizer.Int8Weights q = Quantizer.int8(d.weight(), d.out(), d.in(), s.weights(), s.groupSize());
        String p = d.name() + ".";
        if (transposed) add(p + "weight", DType.I8, Quantizer.transpose(q.q(), d.out(), d.in()), d.in(), d.out());
        else add(p + "weight", DType.I8, q.q(), d.out(), d.in());
        switch (s.weights()) {
            case PER_TENSOR -> floats(p + "weight_scale", DType.F32, q.scales(), 1);
            case PER_CHANNEL -> floats(p + "weight_scale", DType.F32, q.scales(), d.out(), 1);
            case PER_GROUP -> floats(p + "weight_scale", DType.F32, q.scales(), d.out(), q.groupsPerRow());
        }
        if (s.activations() == ActivationGranularity.PER_TENSOR_STATIC)
            floats(p + "input_scale", DType.F32, new float[]{Quantizer.scale(smoothedStats.get(d.name()).inputMax())}, 1);
        if (d.bias() != null) floats(p + "bias", dtype, d.bias(), d.out());
    }

    private void floatLinear(DenseLinear d, DType dtype) throws IOException {
        floats(d.name() + ".weight", dtype, d.weight(), d.out(), d.in());
        if (d.bias() != null) floats(d.name() + ".bias", dtype, d.bias(), d.out());
    }

    private void norm(NormWeights n, DType dtype) throws IOException {
        floats(n.name() + ".weight", dtype, n.weight(), n.weight().length);
        if (n.bias() != null) floats(n.name() + ".bias", dtype, n.bias(), n.bias().length);
    }

    private void floats(String name, DType dtype, float[] v, long... shape) throws IOException {
        room((long) v.length * dtype.bytes).add(name, dtype, v, shape);
    }

    private void add(String name, DType dtype, byte[] raw, long... shape) throws IOException {
        room(raw.length).add(name, dtype, shape, raw);
    }

    /** The current shard, or a new one (the full one written out) before it would pass the limit. */
    private SafetensorsWriter room(long bytes) throws IOException {
        SafetensorsWriter last = shards.getLast();
        if (last.dataBytes() > 0 && last.dataBytes() + bytes > MAX_SHARD_BYTES) {
            Path part = dir.resolve(".shard-" + shards.size() + ".part");
            last.write(part);
            written.add(part);
            last = newShard(shards.size());
            shards.add(last);
        }
        return last;
    }

    private SafetensorsWriter newShard(int k) {
        return SafetensorsWriter.spooled(dir.resolve(".shard-" + (k + 1) + ".spool")).metadata("format", "pt");
    }

    /** The last shard, then the final names (model-0000K-of-0000N once N is known) and the index. */
    private void writeShards() throws IOException {
        if (shards.size() == 1) {
            shards.getFirst().write(dir.resolve(Checkpoint.SINGLE));
            return;
        }
        Path part = dir.resolve(".shard-" + shards.size() + ".part");
        shards.getLast().write(part);
        written.add(part);
        ObjectNode index = Json.MAPPER.createObjectNode();
        long total = shards.stream().mapToLong(SafetensorsWriter::dataBytes).sum();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Files.move(written.get(i), dir.resolve(name));
            for (String t : shards.get(i).names()) map.put(t, name);
        }
        Files.writeString(dir.resolve(Checkpoint.INDEX), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
    }

    static DType dtypeOf(JsonNode config) {
        String d = config.path("dtype").asText(config.path("torch_dtype").asText("float32"));
        return switch (d) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
    }

    private static ObjectNode extras(LayerPipeline.Result r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("method", "SmoothQuant (Xiao et al., arXiv 2211.10438)");
        o.put("scheme", r.scheme().name()).put("weights", r.scheme().weights().id).put("activations", r.scheme().activations().id)
                .put("bmm_quantized_in_simulation", r.scheme().bmm());
        ObjectNode alphas = o.putObject("alpha");
        r.alphas().forEach(alphas::put);
        ObjectNode factors = o.putObject("smoothing_factors");
        r.factors().forEach((k, v) -> {
            ArrayNode a = factors.putArray(k);
            for (float f : v) a.add(f);
        });
        if (r.scheme().activations() == ActivationGranularity.PER_TENSOR_STATIC && r.scheme().bmm()) {
            ObjectNode out = o.putObject("static_output_max");
            r.smoothedStats().entries().forEach((k, e) -> {
                if (!Float.isNaN(e.outputMax())) out.put(k, e.outputMax());
            });
        }
        ObjectNode act = o.putObject("act_scales");
        r.stats().entries().forEach((k, e) -> {
            ArrayNode a = act.putArray(k);
            for (float f : e.channelMax()) a.add(f);
        });
        return o;
    }

    private static String readme(LayerPipeline.Result r, Provenance p) {
        Map<String, Float> alphas = r.alphas();
        double min = alphas.values().stream().mapToDouble(Float::doubleValue).min().orElse(0);
        double max = alphas.values().stream().mapToDouble(Float::doubleValue).max().orElse(0);
        String alpha = min == max ? String.format(Locale.ROOT, "%.2f", min)
                : String.format(Locale.ROOT, "per group, %.2f..%.2f (searched; see smoothquant.json)", min, max);
        String ppl = p.pplBefore() == null ? "not measured (no evaluation text given)"
                : String.format(Locale.ROOT, "%.4f (fp32) -> %.4f (simulated W8A8) on %s", p.pplBefore(), p.pplAfter(), p.evalText());
        return "# SmoothQuant W8A8 (compressed-tensors int-quantized)\n\n"
                + "Made by sq (SmoothQuant for the JVM) from `" + p.source() + "`.\n\n"
                + "| | |\n|---|---|\n"
                + "| method | SmoothQuant: activation outliers migrated into the weights, folded into the preceding norms |\n"
                + "| alpha | " + alpha + " |\n"
                + "| scheme | " + r.scheme().name() + ": weights " + r.scheme().weights().id + ", activations " + r.scheme().activations().id + " |\n"
                + "| calibration | " + p.calibration() + " (" + p.calibTokens() + " tokens) |\n"
                + "| perplexity | " + ppl + " |\n\n"
                + "Linears in the decoder layers hold int8 weights (`weight`) with float32 `weight_scale`"
                + (r.scheme().activations() == ActivationGranularity.PER_TENSOR_STATIC ? " and static `input_scale`" : "")
                + "; embeddings, lm_head and biases keep the original dtype; smoothed norms are float32.\n"
                + "SmoothQuant extras (alpha per group, smoothing factors, act_scales) are in `smoothquant.json`.\n";
    }
}
