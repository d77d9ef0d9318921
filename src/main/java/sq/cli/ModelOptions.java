package sq.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** --model / --tokenizer, shared by commands that load a checkpoint. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "Hugging Face model folder (config.json + *.safetensors + tokenizer.json) or llama2.c .bin file.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.json (or llama2.c tokenizer .bin) to use instead of the one beside the model.")
    Path tokenizer;

    LoadedModel load() {
        return LoadedModel.load(model, tokenizer);
    }
}
