package sq.cli;

import sq.export.CompressedTensorsReader;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.Llama2cReader;
import sq.io.MemoryCheck;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model and its tokenizer from what the user named: a Hugging Face folder (config.json, safetensors,
 * tokenizer.json) or a llama2.c .bin checkpoint (tokenizer: --tokenizer, else tok512.bin / tokenizer.bin beside it).
 * A compressed-tensors folder (./sq quantize output, or any int-quantized W8A8 checkpoint) loads as an int8 model.
 * Before any weight is converted, the memory the weights need is compared with the JVM's ({@link MemoryCheck}).
 *
 * @param quantized the checkpoint was int8 (compressed-tensors): it runs on the int8 engine
 */
record LoadedModel(Path path, Model model, Tokenizer tokenizer, boolean quantized) {

    LoadedModel(Path path, Model model, Tokenizer tokenizer) {
        this(path, model, tokenizer, false);
    }

    static LoadedModel load(Path path, Path tokenizerPath) {
        if (!Files.exists(path)) throw InputException.of(path, "no such file or folder");
        if (Files.isDirectory(path)) {
            Model model;
            boolean quantized;
            try (Checkpoint ckpt = Checkpoint.open(path)) {
                quantized = ModelLoader.quantization(ckpt) != null;
                if (quantized) {
                    MemoryCheck.require(ModelLoader.readConfig(ckpt), "int8", path);
                    model = CompressedTensorsReader.load(ckpt).model();
                } else {
                    ModelLoader loader = new ModelLoader(ckpt).checkTensors(); // config and every tensor's header; nothing converted yet
                    MemoryCheck.require(loader.config(), "fp32", path);
                    model = loader.load();
                }
            }
            Path tok = tokenizerPath != null ? tokenizerPath : path.resolve("tokenizer.json");
            return new LoadedModel(path, model, loadTokenizer(tok, path), quantized);
        }
        if (path.getFileName().toString().endsWith(".bin")) {
            MemoryCheck.require(Llama2cReader.readConfig(path), "fp32", path);
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
            return new LoadedModel(path, model, loadTokenizer(tok, path));
        }
        throw InputException.of(path, "not a model: give a Hugging Face model folder or a llama2.c .bin checkpoint");
    }

    private static Tokenizer loadTokenizer(Path tok, Path model) {
        if (!Files.exists(tok)) throw InputException.of(tok, "tokenizer not found for model " + model + " (use --tokenizer)");
        return Tokenizer.load(tok);
    }

    /** For commands that quantize: refuses a checkpoint that already is. */
    LoadedModel requireFloat() {
        if (quantized) throw InputException.of(path, "this checkpoint is already quantized (compressed-tensors); give the fp32 model it was made from");
        return this;
    }

    /** fp32 models as they are; int8 checkpoints with int8 attention (the BMMs of sq's presets). */
    Transformer transformer() {
        return new Transformer(model, quantized);
    }
}
