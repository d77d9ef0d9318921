package sq.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Checkpoint;
import sq.io.DType;
import sq.io.Json;
import sq.io.SafetensorsWriter;
import sq.model.Architecture;
import sq.model.DenseLinear;
import sq.model.FloatEmbedding;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;
import sq.quant.ActivationGranularity;
import sq.quant.Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.quant.WeightGranularity;

import java.io.IOException;
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
public final class CompressedTensorsWriter {
    /** Shards are cut before they pass this size, as transformers' save_pretrained does. */
    static final long MAX_SHARD_BYTES = 2L << 30;

    /** What the README says about how the folder was made. */
    public record Provenance(String source, String calibration, int calibTokens, Double pplBefore, Double pplAfter,
                             String evalText) {
    }

    private CompressedTensorsWriter() {
    }

    /**
     * @param sourceDir   the original model folder (config.json, tokenizer and generation config copied), or null
     *                    for models without one (llama2.c), whose config.json is generated
     * @param dir         an empty folder to write into (callers use {@link sq.io.AtomicOutput})
     */
    public static void write(SmoothQuant.Result r, Path sourceDir, Provenance provenance, Path dir) throws IOException {
        Model m = r.smoothed();
        ModelConfig cfg = m.config();
        Architecture arch = cfg.architecture();
        ObjectNode config = sourceDir != null ? (ObjectNode) Json.read(sourceDir.resolve("config.json")).deepCopy() : LlamaConfigJson.of(cfg);
        DType dtype = dtypeOf(config);
        MoeExport.refuseUnloadable(m);
        List<String> ignore = ignored(arch);
        ignore.addAll(MoeExport.ignored(m));
        config.set("quantization_config", quantizationConfig(r.scheme(), ignore));

        List<SafetensorsWriter> shards = new ArrayList<>();
        shards.add(new SafetensorsWriter().metadata("format", "pt"));
        Sink sink = new Sink(shards);
        int D = cfg.block().embedDim();
        sink.floats(arch.embedTokens() + ".weight", dtype, ((FloatEmbedding) m.embed()).table(), cfg.vocab(), D);
        if (m.positions() != null)
            sink.floats(arch.embedPositions() + ".weight", dtype, m.positions(), m.positions().length / cfg.hidden(), cfg.hidden());
        if (m.embedNorm() != null) norm(sink, m.embedNorm(), dtype);
        for (Linear p : new Linear[]{m.projectIn(), m.projectOut()}) if (p != null) floatLinear(sink, (DenseLinear) p, dtype);
        boolean transposed = arch.transposedWeights();
        for (int i = 0; i < m.layers().size(); i++) {
            Layer l = m.layers().get(i);
            // smoothed norms in float32: not representable in bf16/f16 without breaking the identity
            for (NormWeights n : l.norms()) norm(sink, n, r.factors().containsKey(n.name()) ? DType.F32 : dtype);
            for (Linear lin : l.linears()) linear(sink, (DenseLinear) lin, r, dtype, transposed);
            if (l.moe != null) for (Linear g : MoeExport.gates(l.moe)) floatLinear(sink, (DenseLinear) g, r.factors().containsKey(l.mlpNorm.name()) ? DType.F32 : dtype);
            if (l.sinks != null) sink.floats(arch.sinks(i), dtype, l.sinks, l.sinks.length);
        }
        if (m.finalNorm() != null) norm(sink, m.finalNorm(), dtype);
        if (!cfg.tiedEmbeddings()) floatLinear(sink, (DenseLinear) m.lmHead(), dtype);

        Files.writeString(dir.resolve("config.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        writeShards(shards, dir);
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
    private static void linear(Sink sink, DenseLinear d, SmoothQuant.Result r, DType dtype, boolean transposed) {
        Scheme s = r.scheme();
        Quantizer.Int8Weights q = Quantizer.int8(d.weight(), d.out(), d.in(), s.weights(), s.groupSize());
        String p = d.name() + ".";
        if (transposed) sink.add(p + "weight", DType.I8, Quantizer.transpose(q.q(), d.out(), d.in()), d.in(), d.out());
        else sink.add(p + "weight", DType.I8, q.q(), d.out(), d.in());
        switch (s.weights()) {
            case PER_TENSOR -> sink.floats(p + "weight_scale", DType.F32, q.scales(), 1);
            case PER_CHANNEL -> sink.floats(p + "weight_scale", DType.F32, q.scales(), d.out(), 1);
            case PER_GROUP -> sink.floats(p + "weight_scale", DType.F32, q.scales(), d.out(), q.groupsPerRow());
        }
        if (s.activations() == ActivationGranularity.PER_TENSOR_STATIC)
            sink.floats(p + "input_scale", DType.F32, new float[]{Quantizer.scale(r.smoothedStats().get(d.name()).inputMax())}, 1);
        if (d.bias() != null) sink.floats(p + "bias", dtype, d.bias(), d.out());
    }

    private static void floatLinear(Sink sink, DenseLinear d, DType dtype) {
        sink.floats(d.name() + ".weight", dtype, d.weight(), d.out(), d.in());
        if (d.bias() != null) sink.floats(d.name() + ".bias", dtype, d.bias(), d.out());
    }

    private static void norm(Sink sink, NormWeights n, DType dtype) {
        sink.floats(n.name() + ".weight", dtype, n.weight(), n.weight().length);
        if (n.bias() != null) sink.floats(n.name() + ".bias", dtype, n.bias(), n.bias().length);
    }

    /** Appends tensors to the current shard, starting a new one before it would pass the limit. */
    private record Sink(List<SafetensorsWriter> shards) {
        void floats(String name, DType dtype, float[] v, long... shape) {
            room((long) v.length * dtype.bytes).add(name, dtype, v, shape);
        }

        void add(String name, DType dtype, byte[] raw, long... shape) {
            room(raw.length).add(name, dtype, shape, raw);
        }

        private SafetensorsWriter room(long bytes) {
            SafetensorsWriter last = shards.getLast();
            if (last.dataBytes() > 0 && last.dataBytes() + bytes > MAX_SHARD_BYTES) {
                last = new SafetensorsWriter().metadata("format", "pt");
                shards.add(last);
            }
            return last;
        }
    }

    private static void writeShards(List<SafetensorsWriter> shards, Path dir) throws IOException {
        if (shards.size() == 1) {
            shards.getFirst().write(dir.resolve(Checkpoint.SINGLE));
            return;
        }
        ObjectNode index = Json.MAPPER.createObjectNode();
        long total = shards.stream().mapToLong(SafetensorsWriter::dataBytes).sum();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            shards.get(i).write(dir.resolve(name));
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

    private static ObjectNode extras(SmoothQuant.Result r) {
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

    private static String readme(SmoothQuant.Result r, Provenance p) {
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
