package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.io.AtomicOutput;
import sq.io.InputException;
import sq.io.SafetensorsWriter;
import sq.model.Transformer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Writes the logits of the first tokens of a text as safetensors (input_ids [1,T] int64, logits [1,T,V] float32),",
                "for checking against other implementations (tools/verify_compressed_tensors.py)."})
final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CommonOptions common;
    @Mixin
    EngineOptions engine;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text; its first --tokens tokens are run.")
    Path text;

    @Option(names = "--tokens", defaultValue = "64", description = "Tokens (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--float-attention", description = "Run the attention in float even on the int8 engine (as PyTorch does).")
    boolean floatAttention;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Output .safetensors file.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing output file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        common.apply();
        MemoryGate.expect(tokens, tokens, 1, "--tokens", false);
        LoadedModel m = modelOptions.load();
        int[] all = m.tokenizer().encode(TextFiles.read(text));
        if (all.length < tokens) throw InputException.of(text, "has " + all.length + " tokens, fewer than --tokens " + tokens);
        int[] ids = Arrays.copyOf(all, tokens);
        Transformer tf = engine.prepare(m, common.quiet);
        if (floatAttention) tf = new Transformer(tf.model(), false);
        float[] logits = tf.forward(ids, tf.newCache(tokens), true);
        long[] longIds = Arrays.stream(ids).asLongStream().toArray();
        int vocab = m.model().config().vocab();
        AtomicOutput.writeFile(out, force, f -> new SafetensorsWriter().add("input_ids", longIds, 1, tokens)
                .add("logits", logits, 1, tokens, vocab).write(f));
        System.err.println("sq: wrote " + out);
        return 0;
    }
}
