package sq.export;

import sq.io.Checkpoint;
import sq.io.CompressedTensorsConfig;
import sq.io.DType;
import sq.io.InputException;
import sq.io.Json;
import sq.io.MappedFileCheck;
import sq.io.TensorSlice;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.quant.ActivationGranularity;
import sq.quant.Int8Linear;
import sq.quant.Int8Quantizer;
import sq.quant.Quantizer;
import sq.quant.WeightGranularity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads compressed-tensors "int-quantized" W8A8 checkpoints (ours, or any that follow the format) for the int8
 * engine: symmetric int8 weights per tensor, channel or group; int8 activations per token (dynamic) or per tensor
 * (dynamic or static). Anything else (other bit widths, float8, asymmetric, packed, weight-only) is refused with the
 * reason.
 *
 * <p>{@link #loadMapped} uses the int8 weights where they lie in the memory-mapped shards (nothing copied onto the
 * heap: loading reads scales, biases, norms and the float ends only, and resident memory grows with the pages the
 * kernels touch); {@link #load} copies them into one heap array per decoder layer. The logits are the same bits.
 * One layout still needs a copy: GPT-2's Conv1D weights are stored [in, out] and are transposed onto the heap.
 */
public final class CompressedTensorsReader {
    /** An int8 model and the granularities its checkpoint declares. */
    public record Loaded(Model model, WeightGranularity weights, ActivationGranularity activations) {
    }

    private CompressedTensorsReader() {
    }

    /** The int8 weights copied onto the heap (one array per decoder layer); the checkpoint may be closed afterwards. */
    public static Loaded load(Checkpoint ckpt) {
        return load(ckpt, false);
    }

    /**
     * The int8 weights used in place in the mapped shards: the checkpoint must stay open for as long as the model
     * runs. A shard truncated in the meantime is named before the next read of its weights ({@link MappedFileCheck}).
     */
    public static Loaded loadMapped(Checkpoint ckpt) {
        return load(ckpt, true);
    }

    private static Loaded load(Checkpoint ckpt, boolean mapped) {
        Path file = ckpt.dir().resolve("config.json");
        CompressedTensorsConfig q = ModelLoader.quantization(ckpt);
        if (q == null) throw InputException.of(file, "no quantization_config: not a quantized checkpoint");
        if (!q.format().equals("int-quantized"))
            throw InputException.of(file, "quantization_config.format '" + q.format() + "' cannot run here (only int-quantized W8A8)");
        if (q.groups().size() != 1)
            throw InputException.of(file, "quantization_config has " + q.groups().size() + " config groups; only one is supported");
        CompressedTensorsConfig.Group g = q.groups().getFirst();
        CompressedTensorsConfig.QuantArgs w = g.weights(), a = g.inputActivations();
        if (a == null) throw InputException.of(file, "weight-only quantization cannot run on the W8A8 int8 engine");
        for (var args : new CompressedTensorsConfig.QuantArgs[]{w, a}) {
            String what = args == w ? "weights" : "input_activations";
            if (args.numBits() != 8 || !args.type().equals("int"))
                throw InputException.of(file, what + " are " + args.type() + args.numBits() + "; only int8 runs here");
            if (!args.symmetric()) throw InputException.of(file, what + " are asymmetric; only symmetric int8 runs here");
        }
        WeightGranularity wg = switch (w.strategy()) {
            case "tensor" -> WeightGranularity.PER_TENSOR;
            case "channel" -> WeightGranularity.PER_CHANNEL;
            case "group" -> WeightGranularity.PER_GROUP;
            default -> throw InputException.of(file, "weights.strategy '" + w.strategy() + "' cannot run here (tensor, channel, group)");
        };
        ActivationGranularity ag = switch (a.strategy()) {
            case "token" -> {
                if (!a.dynamic()) throw InputException.of(file, "static per-token input_activations cannot run here");
                yield ActivationGranularity.PER_TOKEN;
            }
            case "tensor" -> a.dynamic() ? ActivationGranularity.PER_TENSOR_DYNAMIC : ActivationGranularity.PER_TENSOR_STATIC;
            default -> throw InputException.of(file, "input_activations.strategy '" + a.strategy() + "' cannot run here (token, tensor)");
        };
        int groupSize = wg == WeightGranularity.PER_GROUP ? w.groupSize() : 0;
        Map<String, Float> outputMax = outputMaxima(ckpt.dir());
        ModelConfig cfg = ModelLoader.readConfig(ckpt);
        java.util.Set<String> bmmInputs = new java.util.HashSet<>();
        for (int l = 0; l < cfg.layers(); l++) bmmInputs.addAll(cfg.architecture().layer(l).bmmInputs());
        boolean transposed = cfg.architecture().transposedWeights();
        ModelLoader[] floats = new ModelLoader[1];
        Map<Path, MappedFileCheck> checks = new HashMap<>(); // one per shard
        ModelLoader loader = new ModelLoader(ckpt, (module, in, out) ->
                ckpt.has(module + ".weight") && ckpt.get(module + ".weight").dtype().isFloat()
                        ? floats[0].linear(module, in, out) // in "ignore": left in floating point
                        : int8Linear(ckpt, module, in, out, wg, groupSize, ag, outputMax, bmmInputs.contains(module), transposed,
                        mapped ? checks : null));
        floats[0] = loader;
        Model model = loader.load();
        Int8Quantizer.oneArrayPerLayer(model);
        return new Loaded(model, wg, ag);
    }

    private static Linear int8Linear(Checkpoint c, String module, int in, int out, WeightGranularity wg, int groupSize,
                                     ActivationGranularity ag, Map<String, Float> outputMax, boolean bmmInput, boolean transposed,
                                     Map<Path, MappedFileCheck> mapped) {
        TensorSlice w = c.get(module + ".weight");
        if (w.dtype() != DType.I8) throw InputException.of(w.file(), "tensor '" + w.name() + "' has dtype " + w.dtype() + ", expected I8");
        if (transposed) w.expectShape(in, out);
        else w.expectShape(out, in);
        int groups = wg == WeightGranularity.PER_GROUP ? (in + groupSize - 1) / groupSize : 1;
        long[] scaleShape = switch (wg) {
            case PER_TENSOR -> new long[]{1};
            case PER_CHANNEL -> new long[]{out, 1};
            case PER_GROUP -> new long[]{out, groups};
        };
        float[] scales = c.get(module + ".weight_scale").expectShape(scaleShape).toFloats();
        int gs = wg == WeightGranularity.PER_GROUP ? groupSize : in;
        Quantizer.Int8Weights weights;
        if (mapped != null && !transposed) {
            var bytes = new Quantizer.Int8Weights.Mapped(w.data(), mapped.computeIfAbsent(w.file(), MappedFileCheck::of));
            weights = Quantizer.Int8Weights.mapped(bytes, scales, wg, gs, out, in);
        } else {
            byte[] q = transposed ? Quantizer.transpose(w.toBytes(), in, out) : w.toBytes();
            weights = new Quantizer.Int8Weights(q, scales, wg, gs, out, in);
        }
        float[] bias = c.has(module + ".bias") ? c.get(module + ".bias").expectShape(out).toFloats() : null;
        float inputMax = ag == ActivationGranularity.PER_TENSOR_STATIC
                ? Quantizer.maxForScale(c.get(module + ".input_scale").expectShape(1).toFloats()[0]) : 0;
        Float yMax = outputMax.get(module);
        // q/k/v outputs (the attention BMM inputs) are quantized as sq's presets do: dynamically, or statically with
        // the maxima our writer records; a foreign static checkpoint without them leaves those outputs in float
        boolean quantizeOutput = bmmInput && (yMax != null || ag != ActivationGranularity.PER_TENSOR_STATIC);
        return new Int8Linear(module, weights, bias, ag, inputMax, quantizeOutput, yMax == null ? 0 : yMax);
    }

    /** Static q/k/v output maxima from our smoothquant.json, if the folder has one. */
    private static Map<String, Float> outputMaxima(Path dir) {
        Map<String, Float> m = new HashMap<>();
        Path extras = dir.resolve("smoothquant.json");
        if (Files.exists(extras)) Json.read(extras).path("static_output_max").properties()
                .forEach(e -> m.put(e.getKey(), (float) e.getValue().asDouble()));
        return m;
    }
}
