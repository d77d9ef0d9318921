package sq.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.Json;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** ./sq tokenize (text, jsonl, chat), ./sq generate --chat, and their one-line errors with exit code 2. */
class TokenizeCommandTest extends ConsoleCapture {
    /** A Jinja template in HF's style (whitespace control, loop variables, bos_token, raise_exception). */
    static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' and not loop.first %}"
            + "{{ raise_exception('system only first') }}{% endif %}[{{ m['role'] | upper }}] {{ m['content'] | trim }}\n"
            + "{%- if not loop.last %}{{ '\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '\\n[ASSISTANT]' }}{% endif %}";

    @TempDir
    Path tmp;

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.execute(args);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    private static Path sp512() {
        return Fixtures.bundled("tokenizers/sp512-stories/tokenizer.json");
    }

    /** The sp512 tokenizer in a folder with a tokenizer_config.json carrying {@link #TEMPLATE}. */
    private Path chatTokenizer(String template) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("tok" + template.hashCode()));
        Files.copy(sp512(), dir.resolve("tokenizer.json"));
        ObjectNode cfg = Json.MAPPER.createObjectNode().put("bos_token", "<s>").put("eos_token", "</s>").put("chat_template", template);
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.MAPPER.writeValueAsString(cfg));
        return dir;
    }

    private void assertOneLineError(int rc, String... fragments) {
        assertThat(rc).as(stderr()).isEqualTo(2);
        assertThat(stderr().strip()).doesNotContain("\n").doesNotContain("Exception").startsWith("sq: ").contains(fragments);
        assertThat(stdout()).isEmpty();
    }

    @Test
    void textAsIdsOrJson() throws Exception {
        String text = "Once upon a time, there was a <unk> cat.\r\nThe end.";
        Path file = write("story.txt", text);
        Tokenizer tok = Tokenizer.load(sp512());
        assertThat(run("tokenize", "--tokenizer", sp512().toString(), "--text", file.toString())).as(stderr()).isZero();
        assertThat(stdout()).isEqualTo(String.join(" ", Arrays.stream(tok.encode(text)).mapToObj(Integer::toString).toList()) + "\n");
        assertThat(run("tokenize", "--tokenizer", sp512().getParent().toString(), "--text", file.toString(), "--special", "--json")).isZero();
        assertThat(stdout()).startsWith("{\"ids\":[1,");
        JsonNode ids = Json.MAPPER.readTree(stdout()).get("ids");
        assertThat(ids.get(0).asInt()).isEqualTo(1); // BOS from the post-processor
        assertThat(Json.MAPPER.convertValue(ids, int[].class)).containsExactly(tok.encodeWithSpecialTokens(text));
    }

    @Test
    void jsonlInOrder() throws Exception {
        Path file = write("in.jsonl", "{\"text\": \"Once upon a time\"}\n{\"text\": \"\", \"id\": 7}\r\n{\"text\": \"a \\u00e9 \\ud83d\\ude00\"}\n");
        Tokenizer tok = Tokenizer.load(sp512());
        assertThat(run("tokenize", "--tokenizer", sp512().toString(), "--jsonl", file.toString(), "--special")).as(stderr()).isZero();
        String[] lines = stdout().split("\n");
        assertThat(lines).hasSize(3);
        String[] texts = {"Once upon a time", "", "a é 😀"};
        for (int i = 0; i < 3; i++) {
            assertThat(Json.MAPPER.convertValue(Json.MAPPER.readTree(lines[i]).get("ids"), int[].class))
                    .containsExactly(tok.encodeWithSpecialTokens(texts[i]));
        }
    }

    @Test
    void chatRendersTheTemplateBesideTheTokenizer() throws Exception {
        Path dir = chatTokenizer(TEMPLATE);
        Path messages = write("m.json", "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \" Once upon a time \"}]");
        assertThat(run("tokenize", "--tokenizer", dir.toString(), "--chat", messages.toString(), "--generation-prompt", "--json")).as(stderr()).isZero();
        JsonNode j = Json.MAPPER.readTree(stdout());
        String expected = "<s>[SYSTEM] Be brief.\n[USER] Once upon a time\n[ASSISTANT]";
        assertThat(j.get("text").asText()).isEqualTo(expected);
        assertThat(Json.MAPPER.convertValue(j.get("ids"), int[].class)).containsExactly(Tokenizer.load(sp512()).encode(expected));
        assertThat(j.get("ids").get(0).asInt()).isEqualTo(1); // "<s>" written by the template is the BOS token
        assertThat(run("tokenize", "--tokenizer", dir.resolve("tokenizer.json").toString(), "--chat", messages.toString())).isZero();
        assertThat(stdout()).isEqualTo("<s>[SYSTEM] Be brief.\n[USER] Once upon a time");
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        Path bad = tmp.resolve("bad.txt");
        Files.write(bad, new byte[]{'o', 'k', '\n', 'x', (byte) 0xC3, '(', 'y'});
        assertOneLineError(run("tokenize", "--tokenizer", sp512().toString(), "--text", bad.toString()), bad.toString(), "invalid UTF-8 at byte 4 (line 2)");
        Path jsonl = write("bad.jsonl", "{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n");
        assertOneLineError(run("tokenize", "--tokenizer", sp512().toString(), "--jsonl", jsonl.toString()), jsonl.toString(), "line 2.text: missing");
        Path notJson = write("bad2.jsonl", "{\"text\": 3}\n");
        assertOneLineError(run("tokenize", "--tokenizer", sp512().toString(), "--jsonl", notJson.toString()), "line 1.text: expected a string");

        Path dir = chatTokenizer(TEMPLATE);
        String[][] badMessages = {
                {"{\"role\": \"user\", \"content\": \"hi\"}", "expected a JSON list"},
                {"[]", "empty"},
                {"[{\"role\": \"user\"}]", "[0].content: missing"},
                {"[{\"role\": \"user\", \"content\": [\"hi\"]}]", "[0].content: expected a string, got a list"},
                {"[{\"role\": \"user\", \"content\": \"hi\", \"name\": \"x\"}]", "[0].name: not supported"},
                {"[\"hi\"]", "[0]: expected an object"},
        };
        for (String[] c : badMessages) {
            Path m = write("m.json", c[0]);
            assertOneLineError(run("tokenize", "--tokenizer", dir.toString(), "--chat", m.toString(), "--json"), m.toString(), c[1]);
        }
        Path twoSystems = write("m.json", "[{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"system\", \"content\": \"b\"}]");
        assertOneLineError(run("tokenize", "--tokenizer", dir.toString(), "--chat", twoSystems.toString()),
                "tokenizer_config.json: chat_template", "raised an exception: system only first");
        assertOneLineError(run("tokenize", "--tokenizer", dir.toString(), "--chat", twoSystems.toString(), "--special"), "--special does not apply to --chat");
        assertOneLineError(run("tokenize", "--tokenizer", sp512().toString(), "--chat", twoSystems.toString()), "no chat template");
        Path unknownFilter = chatTokenizer("{{ messages[0]['content'] | no_such_filter }}");
        Path ok = write("ok.json", "[{\"role\": \"user\", \"content\": \"a\"}]");
        assertOneLineError(run("tokenize", "--tokenizer", unknownFilter.toString(), "--chat", ok.toString()), "chat_template", "no_such_filter");
    }

    /** --chat prompts with the template and only the reply is printed: the same tokens as the rendered text as a plain prompt. */
    @Test
    void generateChatIsTheRenderedPromptWithoutBos() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path src = Fixtures.bundled("stories260K");
        for (String f : new String[]{"config.json", "generation_config.json", "model.safetensors"}) Files.copy(src.resolve(f), model.resolve(f));
        Path chatTok = chatTokenizer(TEMPLATE);
        Files.copy(chatTok.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        Files.copy(chatTok.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
        String[] common = {"--model", model.toString(), "--temperature", "0", "--max-tokens", "12", "--quiet", "--no-stop-at-eos"};
        int rc = run(Stream.concat(Stream.of("generate", "--chat", "--system", "Tell a story.", "--prompt", "Once upon a time"), Arrays.stream(common)).toArray(String[]::new));
        assertThat(rc).as(stderr()).isZero();
        String reply = stdout();
        String rendered = "<s>[SYSTEM] Tell a story.\n[USER] Once upon a time\n[ASSISTANT]";
        assertThat(run(Stream.concat(Stream.of("generate", "--no-bos", "--prompt", rendered), Arrays.stream(common)).toArray(String[]::new))).isZero();
        assertThat(stdout()).isEqualTo(rendered + reply).hasSizeGreaterThan(rendered.length() + 5);

        // every eos id of generation_config.json stops: make the first reply token one of two
        Tokenizer tok = Tokenizer.load(model.resolve("tokenizer.json"));
        int[] prompt = tok.encode(rendered);
        int first = tok.encode(rendered + reply.strip())[prompt.length];
        assertThat(reply).startsWith(tok.decode(new int[]{first}));
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [2, " + first + "]}");
        String[] stopping = Arrays.stream(common).filter(a -> !a.equals("--no-stop-at-eos")).toArray(String[]::new);
        assertThat(run(Stream.concat(Stream.of("generate", "--chat", "--system", "Tell a story.", "--prompt", "Once upon a time"), Arrays.stream(stopping)).toArray(String[]::new))).isZero();
        assertThat(stdout().strip()).isEmpty();
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [2, \"x\"]}");
        assertOneLineError(run(Stream.concat(Stream.of("generate", "--prompt", "Once"), Arrays.stream(stopping)).toArray(String[]::new)),
                "generation_config.json", "eos_token_id[1]: expected a token id");
        assertOneLineError(run("generate", "--model", model.toString(), "--prompt", "x", "--system", "s", "--quiet"), "--system needs --chat");
        assertThat(new String(Files.readAllBytes(model.resolve("generation_config.json")), StandardCharsets.UTF_8)).contains("\"x\"");
    }
}
