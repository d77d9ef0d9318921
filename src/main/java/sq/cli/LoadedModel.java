package sq.cli;

import sq.export.CompressedTensorsReader;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.Llama2cReader;
import sq.kernels.Int8Kernels;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A model and its tokenizer from what the user named: a Hugging Face folder (config.json, safetensors,
 * tokenizer.json) or a llama2.c .bin checkpoint (tokenizer: --tokenizer, else tok512.bin / tokenizer.bin beside it).
 * A compressed-tensors folder (./sq quantize output, or any int-quantized W8A8 checkpoint) loads as an int8 model.
 *
 * <p>A float Hugging Face folder is checked (config and every tensor's header) but not converted until it is used:
 * {@link #model()} loads it whole in fp32, {@link #streamed} hands its layers one at a time to a builder (the int8
 * engine quantizes each as it is read), so a bf16 model never exists in fp32 as a whole on that path. Before any
 * weight is converted, the memory plan of the engine is printed and checked ({@link MemoryGate}).
 *
 * <p>A compressed-tensors folder's int8 weights stay in the mapped shards ({@link CompressedTensorsReader#loadMapped})
 * when the native int8 kernels run: its checkpoint stays open for the life of the process, and only the pages the
 * kernels touch are resident. With the pure-Java kernels they are copied onto the heap, where that kernel's decode
 * is about twice as fast (Int8SegmentBench).
 */
final class LoadedModel {
    private final Path path;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final boolean quantized;
    /** Loaded on first use for a float Hugging Face folder; at once otherwise. */
    private Model model;
    /** The precision of a quantized checkpoint's ends once {@link #int8Ends} made them, else null. */
    private HeadPrecision ends;

    private LoadedModel(Path path, ModelConfig config, Model model, Tokenizer tokenizer, boolean quantized) {
        this.path = path;
        this.config = config;
        this.model = model;
        this.tokenizer = tokenizer;
        this.quantized = quantized;
    }

    /** A model already in memory (e.g. built by a command), with its tokenizer. */
    LoadedModel(Path path, Model model, Tokenizer tokenizer, boolean quantized) {
        this(path, model.config(), model, tokenizer, quantized);
    }

    static LoadedModel load(Path path, Path tokenizerPath) {
        if (!Files.exists(path)) throw InputException.of(path, "no such file or folder");
        if (Files.isDirectory(path)) {
            Model model = null;
            ModelConfig config;
            boolean quantized;
            Checkpoint ckpt = Checkpoint.open(path);
            boolean mapped = false;
            try {
                quantized = ModelLoader.quantization(ckpt) != null;
                if (quantized) {
                    config = ModelLoader.readConfig(ckpt);
                    // in the mapped shards where the native kernels run (they read a mapping as fast as an array);
                    // on the heap for the pure-Java kernels, whose decode ran at ~0.5x on mapped weights (PERFORMANCE.md)
                    mapped = Int8Kernels.isNative();
                    MemoryGate.int8Checkpoint(config, mapped, path);
                    model = (mapped ? CompressedTensorsReader.loadMapped(ckpt) : CompressedTensorsReader.load(ckpt)).model();
                } else {
                    config = new ModelLoader(ckpt).checkTensors().config(); // config and every tensor's header; nothing converted yet
                }
            } catch (RuntimeException e) {
                ckpt.close();
                throw e;
            }
            if (!mapped) ckpt.close(); // else not closed: the model reads its int8 weights from the mapping
            Path tok = tokenizerPath != null ? tokenizerPath : path.resolve("tokenizer.json");
            return new LoadedModel(path, config, model, loadTokenizer(tok, path), quantized);
        }
        if (path.getFileName().toString().endsWith(".bin")) {
            MemoryGate.fp32(Llama2cReader.readConfig(path), path);
            Model model = Llama2cReader.read(path);
            Path tok = tokenizerPath;
            if (tok == null) {
                for (String candidate : new String[]{"tok" + model.config().vocab() + ".bin", "tokenizer.bin"}) {
                    Path p = path.resolveSibling(candidate);
                    if (Files.exists(p)) {
                        tok = p;
                        break;
                    }
                }
            }
            if (tok == null)
                throw InputException.of(path, "no tokenizer found beside this llama2.c checkpoint (looked for tok"
                        + model.config().vocab() + ".bin, tokenizer.bin); give one with --tokenizer");
            return new LoadedModel(path, model.config(), model, loadTokenizer(tok, path), false);
        }
        throw InputException.of(path, "not a model: give a Hugging Face model folder or a llama2.c .bin checkpoint");
    }

    private static Tokenizer loadTokenizer(Path tok, Path model) {
        if (!Files.exists(tok)) throw InputException.of(tok, "tokenizer not found for model " + model + " (use --tokenizer)");
        return Tokenizer.load(tok);
    }

    Path path() {
        return path;
    }

    ModelConfig config() {
        return config;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The checkpoint was int8 (compressed-tensors): it runs on the int8 engine. */
    boolean quantized() {
        return quantized;
    }

    /** The whole model: fp32 for float checkpoints (loaded here on first use), int8 linears for quantized ones. */
    Model model() {
        if (model == null) {
            try (Checkpoint ckpt = Checkpoint.open(path)) {
                ModelLoader loader = new ModelLoader(ckpt).checkTensors();
                MemoryGate.fp32(loader.config(), path);
                model = loader.load();
            }
        }
        return model;
    }

    /**
     * The model for the fp32 engine: as {@link #model()}, except that a float Hugging Face folder's BF16 linear weights
     * stay in the mapped file ({@link sq.model.Bf16Linear}, widened on use, same results bit for bit), so resident
     * memory is about the file size rather than twice it. The checkpoint then stays mapped for the life of the process.
     */
    Model fp32Engine() {
        if (model != null) return model;
        Checkpoint ckpt = Checkpoint.open(path); // not closed: the model reads its weights from the mapping
        try {
            ModelLoader loader = new ModelLoader(ckpt).checkTensors().mapBf16Linears();
            MemoryGate.fp32Mapped(loader.config(), ckpt, path); // mapped bf16 weights against RAM, the rest against the heap
            return model = loader.load();
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    /**
     * What {@code build} makes of this model's layers, read one at a time: straight from the mapped checkpoint when
     * the model is not loaded yet (the checkpoint is closed when build returns, so build must copy what it keeps),
     * else from the loaded model. Both give the same floats, so build's result is the same bit for bit.
     * Build makes the int8 engine (its memory plan is checked first).
     */
    Model streamed(Function<LayerSource, Model> build) {
        if (model != null) return build.apply(LayerSource.of(model));
        try (Checkpoint ckpt = Checkpoint.open(path)) {
            MemoryGate.int8Streamed(config, path);
            return build.apply(new ModelLoader(ckpt).checkTensors());
        }
    }

    /**
     * A quantized checkpoint's model with its embeddings and lm_head at h for the int8 engine. The float ends it was
     * loaded with are dropped, not kept beside the int8 ones (for an 8B model 4.2 GB of heap held for nothing while
     * the command ran); {@link #model()} returns this model from then on. Asking again for another precision is a bug.
     */
    Model int8Ends(HeadPrecision h) {
        if (!quantized) throw new IllegalStateException("int8Ends is for quantized checkpoints");
        if (ends == null) {
            model = h.real(model);
            ends = h;
        } else if (ends != h) {
            throw new IllegalStateException("ends already made " + ends.id + ", not " + h.id);
        }
        return model;
    }

    /** For commands that quantize: refuses a checkpoint that already is. */
    LoadedModel requireFloat() {
        if (quantized) throw InputException.of(path, "this checkpoint is already quantized (compressed-tensors); give the fp32 model it was made from");
        return this;
    }

    /** fp32 models as they are; int8 checkpoints with int8 attention (the BMMs of sq's presets). */
    Transformer transformer() {
        return new Transformer(model(), quantized);
    }
}
