package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.io.InputException;
import sq.model.Generator;
import sq.model.ModelConfig;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.tokenizer.TokenStreamDecoder;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streaming tokens as they come.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CommonOptions common;
    @Mixin
    EngineOptions engine;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text.")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "New tokens at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = {"-t", "--temperature"}, defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--bos", negatable = true,
            description = "Prepend the BOS token (default: when the model's bos_token_id differs from its eos_token_id, as Llama tokenizers do).")
    Boolean bos;

    @Option(names = "--stop-at-eos", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Stop at the end-of-sequence token (default: ${DEFAULT-VALUE}).")
    boolean stopAtEos;

    @Override
    public Integer call() {
        common.apply();
        if (maxTokens < 1) throw new InputException("--max-tokens must be at least 1");
        if (temperature < 0) throw new InputException("--temperature must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new InputException("--top-p must be in (0, 1]");
        LoadedModel m = modelOptions.load();
        generate(m, engine.prepare(m, common.quiet), prompt, maxTokens, new Sampler(temperature, topP, seed), bos, stopAtEos, !common.quiet);
        return 0;
    }

    /** Shared with demo: prints the prompt, then each token as it is decoded; returns the stats. */
    static Generator.Stats generate(LoadedModel m, Transformer tf, String prompt, int maxTokens, Sampler sampler, Boolean bos,
                                    boolean stopAtEos, boolean report) {
        ModelConfig cfg = m.model().config();
        boolean addBos = bos != null ? bos : cfg.bosId() != null && !cfg.bosId().equals(cfg.eosId());
        int[] ids = m.tokenizer().encode(prompt);
        if (addBos) {
            if (cfg.bosId() == null) throw new InputException(m.path() + ": --bos given but the model has no bos_token_id");
            int[] withBos = new int[ids.length + 1];
            withBos[0] = cfg.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        if (ids.length == 0) throw new InputException("the prompt is empty; give some text or --bos");
        if (ids.length >= cfg.maxPositions())
            throw new InputException("prompt of " + ids.length + " tokens does not fit the model's context of " + cfg.maxPositions());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.print(prompt);
        out.flush();
        // the prompt goes through the decoder first so the first new token decodes in context (e.g. its leading space)
        TokenStreamDecoder decoder = m.tokenizer().streamDecoder();
        for (int id : ids) decoder.next(id);
        decoder.flush();
        Integer eos = cfg.eosId();
        Generator.Stats s = Generator.generate(tf, ids, maxTokens, sampler, id -> {
            if (stopAtEos && eos != null && id == eos) return false;
            out.print(decoder.next(id));
            out.flush();
            return true;
        });
        out.print(decoder.flush());
        out.println();
        if (report)
            System.err.printf("sq: prompt %d tokens in %.2f s (%.1f tok/s), generated %d tokens in %.2f s (%.1f tok/s)%n",
                    s.promptTokens(), s.prefillSeconds(), s.promptTokens() / s.prefillSeconds(), s.generated(),
                    s.decodeSeconds(), s.generated() / Math.max(s.decodeSeconds(), 1e-9));
        return s;
    }
}
