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
import sq.tokenizer.chat.ChatMessage;
import sq.tokenizer.chat.ChatTemplate;
import sq.tokenizer.chat.StopIds;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text (with --chat: the user's message).")
    String prompt;

    @Option(names = "--chat", description = "Prompt as an instruct model was trained: --prompt becomes a user turn (after --system) "
            + "rendered with the chat template of the tokenizer (tokenizer_config.json or chat_template.jinja), ending with the "
            + "assistant's header; only the reply is printed.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system prompt before the user's message.")
    String system;

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
            description = "Stop at an end-of-sequence token: every eos_token_id of generation_config.json (else config.json) "
                    + "(default: ${DEFAULT-VALUE}).")
    boolean stopAtEos;

    @Override
    public Integer call() {
        common.apply();
        if (maxTokens < 1) throw new InputException("--max-tokens must be at least 1");
        if (temperature < 0) throw new InputException("--temperature must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new InputException("--top-p must be in (0, 1]");
        if (system != null && !chat) throw new InputException("--system needs --chat");
        MemoryGate.expect(maxTokens + prompt.length() + 1, prompt.length() + 1, 1, "--max-tokens", false); // a token per character at most, about
        LoadedModel m = modelOptions.load();
        Sampler sampler = new Sampler(temperature, topP, seed);
        if (chat) {
            // the template puts the BOS token itself where the model expects one
            String text = chatPrompt(modelOptions.tokenizer != null ? modelOptions.tokenizer : m.path());
            run(m, engine.prepare(m, common.quiet), m.tokenizer().encode(text), "", maxTokens, sampler, stopAtEos, !common.quiet);
        } else {
            generate(m, engine.prepare(m, common.quiet), prompt, maxTokens, sampler, bos, stopAtEos, !common.quiet);
        }
        return 0;
    }

    /** The conversation [system], user rendered with add_generation_prompt. */
    private String chatPrompt(Path tokenizer) {
        if (bos != null) throw new InputException("--bos/--no-bos do not apply to --chat: the chat template places the BOS token");
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) messages.add(new ChatMessage("system", system));
        messages.add(new ChatMessage("user", prompt));
        return ChatTemplate.load(tokenizer).render(messages, true);
    }

    /** Shared with demo: prints the prompt, then each token as it is decoded; returns the stats. */
    static Generator.Stats generate(LoadedModel m, Transformer tf, String prompt, int maxTokens, Sampler sampler, Boolean bos,
                                    boolean stopAtEos, boolean report) {
        ModelConfig cfg = m.config();
        boolean addBos = bos != null ? bos : cfg.bosId() != null && !cfg.bosId().equals(cfg.eosId());
        int[] ids = m.tokenizer().encode(prompt);
        if (addBos) {
            if (cfg.bosId() == null) throw new InputException(m.path() + ": --bos given but the model has no bos_token_id");
            int[] withBos = new int[ids.length + 1];
            withBos[0] = cfg.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        return run(m, tf, ids, prompt, maxTokens, sampler, stopAtEos, report);
    }

    /** Prints {@code echo}, then each new token as it is decoded, until an eos id (if stopAtEos) or maxTokens. */
    private static Generator.Stats run(LoadedModel m, Transformer tf, int[] ids, String echo, int maxTokens, Sampler sampler,
                                       boolean stopAtEos, boolean report) {
        ModelConfig cfg = m.config();
        if (ids.length == 0) throw new InputException("the prompt is empty; give some text or --bos");
        if (ids.length >= cfg.maxPositions())
            throw new InputException("prompt of " + ids.length + " tokens does not fit the model's context of " + cfg.maxPositions());
        Set<Integer> eos = Files.isDirectory(m.path()) ? StopIds.of(m.path(), cfg.eosId())
                : cfg.eosId() == null ? Set.of() : Set.of(cfg.eosId());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.print(echo);
        out.flush();
        // the prompt goes through the decoder first so the first new token decodes in context (e.g. its leading space)
        TokenStreamDecoder decoder = m.tokenizer().streamDecoder();
        for (int id : ids) decoder.next(id);
        Generator.Stats s = Generator.generate(tf, ids, maxTokens, sampler, id -> {
            if (stopAtEos && eos.contains(id)) return false;
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
