package sq.tokenizer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;
import sq.io.InputException;
import sq.io.Json;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (the Jinja {@code chat_template} of tokenizer_config.json, or chat_template.jinja beside it)
 * rendered as transformers' {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=G)} renders it:
 * Jinja with trim_blocks and lstrip_blocks, the special tokens of tokenizer_config.json as variables
 * ({@code bos_token}, {@code eos_token}, ...), and the functions {@code raise_exception} and {@code strftime_now}.
 *
 * <p>The engine is HubSpot's Jinjava, with operator precedence as in Jinja ({@code a + b | trim} filters b only),
 * the Python string methods templates call ({@link PythonStrings}), and two constructs rewritten into Jinja that
 * Jinjava reads as Jinja does ({@link JinjaRewrite}). Anything Jinjava reports while rendering (an
 * unknown filter, a syntax it lacks) is an error naming the template: never a silently different prompt.
 */
public final class ChatTemplate {
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "pad_token");
    /** The message of a raise_exception call during the current render (Jinjava turns exceptions into errors). */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String source;   // where the template came from, for messages: "FILE: chat_template"
    private final String template;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinjava;

    ChatTemplate(String source, String template, Map<String, Object> specialTokens) {
        this.source = source;
        this.template = JinjaRewrite.apply(template);
        this.specialTokens = specialTokens;
        this.jinjava = engine();
        checkNames();
    }

    private static final java.util.regex.Pattern FILTER = java.util.regex.Pattern.compile("\\|\\s*([A-Za-z_]\\w*)");
    private static final java.util.regex.Pattern TEST = java.util.regex.Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_]\\w*)");

    /** Jinjava renders an unknown filter or test as if it were absent: refuse the template instead. */
    private void checkNames() {
        String code = JinjaRewrite.code(template);
        for (var m = FILTER.matcher(code); m.find(); ) {
            if (jinjava.getGlobalContext().getFilter(m.group(1)) == null) {
                throw new InputException(source + ": the filter '" + m.group(1) + "' is not supported by the Jinja renderer (Jinjava)");
            }
        }
        for (var m = TEST.matcher(code); m.find(); ) {
            if (jinjava.getGlobalContext().getExpTest(m.group(1)) == null) {
                throw new InputException(source + ": the test 'is " + m.group(1) + "' is not supported by the Jinja renderer (Jinjava)");
            }
        }
    }

    /**
     * The template of the tokenizer at {@code tokenizer} (a tokenizer.json or its folder): chat_template.jinja there
     * if present (transformers prefers it), else tokenizer_config.json's chat_template.
     *
     * @throws InputException when there is none or it cannot be read
     */
    public static ChatTemplate load(Path tokenizer) {
        Path dir = Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
        Path config = dir.resolve("tokenizer_config.json");
        Path jinja = dir.resolve("chat_template.jinja");
        JsonNode cfg = Files.isRegularFile(config) ? Json.read(config) : null;
        Map<String, Object> tokens = cfg == null ? Map.of() : specialTokens(config, cfg);
        if (Files.isRegularFile(jinja)) {
            return new ChatTemplate(jinja.toString(), readUtf8(jinja), tokens);
        }
        if (cfg == null) {
            throw InputException.of(dir, "no chat template: neither tokenizer_config.json nor chat_template.jinja is there");
        }
        JsonNode t = cfg.path("chat_template");
        String where = config + ": chat_template";
        if (t.isTextual()) return new ChatTemplate(where, t.asText(), tokens);
        if (t.isArray()) {
            // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]: apply_chat_template uses "default"
            for (int i = 0; i < t.size(); i++) {
                if (t.get(i).path("name").asText().equals("default") && t.get(i).path("template").isTextual()) {
                    return new ChatTemplate(where + "[" + i + "].template", t.get(i).get("template").asText(), tokens);
                }
            }
            throw InputException.of(config, "chat_template: a list of named templates without a \"default\" one");
        }
        if (t.isMissingNode() || t.isNull()) {
            throw InputException.of(config, "chat_template: missing (and there is no chat_template.jinja beside it)");
        }
        throw InputException.of(config, "chat_template: expected a string or a list of {name, template}, got " + t.getNodeType());
    }

    /** bos_token etc. as strings ("<s>" or {"content": "<s>", ...}); null where the config says null. */
    private static Map<String, Object> specialTokens(Path config, JsonNode cfg) {
        Map<String, Object> tokens = new HashMap<>();
        for (String name : SPECIAL_TOKENS) {
            JsonNode v = cfg.path(name);
            if (v.isMissingNode()) continue;
            if (v.isNull()) tokens.put(name, null);
            else if (v.isTextual()) tokens.put(name, v.asText());
            else if (v.isObject() && v.path("content").isTextual()) tokens.put(name, v.get("content").asText());
            else throw InputException.of(config, name + ": expected a string, {\"content\": string} or null, got " + v);
        }
        return tokens;
    }

    private static String readUtf8(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw InputException.of(file, "not UTF-8 text");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
    }

    /** Where the template came from, e.g. "DIR/tokenizer_config.json: chat_template". */
    public String source() {
        return source;
    }

    /**
     * The conversation as the model was trained to see it.
     *
     * @param addGenerationPrompt end with the header of an assistant turn (add_generation_prompt)
     * @throws InputException when the template raises an exception or uses what Jinjava cannot render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", m.role());
            entry.put("content", m.content());
            list.add(entry);
        }
        Map<String, Object> bindings = new HashMap<>(specialTokens);
        bindings.put("messages", list);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        RAISED.remove();
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, bindings);
        } finally {
            String raised = RAISED.get();
            RAISED.remove();
            if (raised != null) throw new InputException(source + ": the template raised an exception: " + raised);
        }
        if (!result.getErrors().isEmpty()) {
            TemplateError e = result.getErrors().getFirst();
            throw new InputException(source + ": " + describe(e));
        }
        return result.getOutput();
    }

    private static String describe(TemplateError e) {
        String line = e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "";
        return line + "Jinja the renderer (Jinjava) cannot evaluate: " + e.getMessage()
                + (e.getReason() != null ? " (" + e.getReason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")" : "");
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withNestedInterpretationEnabled(false) // text in messages is never rendered as a template
                .withFailOnUnknownTokens(false)         // undefined renders empty, as in jinja2's default Undefined
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true) // {{- x -}} trims as in Jinja
                        .build())
                .withMaxOutputSize(64L << 20)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", Object.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", Strftime.class, "now", String.class));
        return jinjava;
    }

    /** raise_exception(message): HF's templates call it to refuse a conversation (e.g. roles that do not alternate). */
    public static Object raiseException(Object message) {
        RAISED.set(String.valueOf(message));
        throw new IllegalStateException("raise_exception: " + message);
    }
}
