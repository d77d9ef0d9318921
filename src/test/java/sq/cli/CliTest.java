package sq.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.Json;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line: outputs, --json, and one-line errors with exit code 2 for bad input. */
class CliTest extends ConsoleCapture {

    @TempDir
    Path tmp;

    private int run(String... args) {
        return Main.execute(args);
    }

    @Test
    void pplJsonReproducesTheGoldenPerplexity() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        int rc = run("ppl", "--model", dir.toString(), "--text", Fixtures.bundled("text/tinystories-val.txt").toString(), "--json", "--quiet");
        assertThat(rc).as(stderr()).isZero();
        JsonNode j = Json.MAPPER.readTree(stdout());
        double golden = Json.read(dir.resolve("golden/results.json")).get("ppl").get("fp32").asDouble();
        assertThat(j.get("ppl").asDouble()).isCloseTo(golden, org.assertj.core.data.Offset.offset(5e-4 * golden));
        assertThat(j.get("tokens").asLong()).isEqualTo(10200);
        assertThat(j.has("seconds")).isTrue();
    }

    @Test
    void generateStreamsTheDocumentedStoryFromTheLlama2cFile() {
        Path bin = Fixtures.bundled("stories260K/stories260K.bin");
        int rc = run("generate", "--model", bin.toString(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "40", "--quiet");
        assertThat(rc).as(stderr()).isZero();
        assertThat(stdout()).startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.");
    }

    /** --head: the int8 engine's embeddings and lm_head, int8 by default; fp32 on request. */
    @Test
    void int8EngineHeadPrecisionIsAnOption() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        String text = Fixtures.bundled("text/tinystories-val.txt").toString();
        double[] ppl = new double[2];
        String[][] heads = {{}, {"--head", "fp32"}};
        for (int i = 0; i < 2; i++) {
            out.reset();
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("ppl", "--model", dir.toString(), "--text", text,
                    "--windows", "4", "--engine", "int8", "--json", "--quiet"), java.util.Arrays.stream(heads[i])).toArray(String[]::new);
            assertThat(run(args)).as(stderr()).isZero();
            ppl[i] = Json.MAPPER.readTree(stdout()).get("ppl").asDouble();
        }
        assertThat(ppl[0]).isNotEqualTo(ppl[1]).isCloseTo(ppl[1], org.assertj.core.data.Offset.offset(0.01 * ppl[1]));
        assertThat(new picocli.CommandLine(new Main()).getSubcommands().get("ppl").getUsageMessage()).contains("--head");
    }

    @Test
    void schemesListsThePresets() {
        assertThat(run("schemes")).isZero();
        assertThat(stdout()).contains("O1", "O2", "O3", "w8a8", "per_tensor_static", "zeroquant", "llm.int8");
    }

    @Test
    void badInputsGiveOneLineAndExitCode2() throws Exception {
        Path text = Fixtures.bundled("text/tinystories-val.txt");
        expectUserError(new String[]{"ppl", "--model", tmp.resolve("nope").toString(), "--text", text.toString()}, "nope: no such file or folder");
        Path bad = Files.createDirectory(tmp.resolve("bad"));
        Files.writeString(bad.resolve("config.json"), "{\"architectures\": [\"BertModel\"]}");
        Files.write(bad.resolve("model.safetensors"), new byte[]{1, 2, 3});
        expectUserError(new String[]{"ppl", "--model", bad.toString(), "--text", text.toString()}, "model.safetensors");
        Path cut = Files.createDirectory(tmp.resolve("cut"));
        Path src = Fixtures.bundled("tiny/llama");
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(src.resolve(f), cut.resolve(f));
        byte[] st = Files.readAllBytes(src.resolve("model.safetensors"));
        Files.write(cut.resolve("model.safetensors"), java.util.Arrays.copyOf(st, st.length / 2));
        expectUserError(new String[]{"ppl", "--model", cut.toString(), "--text", text.toString()}, "truncated");
        expectUserError(new String[]{"ppl", "--model", src.toString(), "--text", tmp.resolve("missing.txt").toString()}, "missing.txt: file not found");
        expectUserError(new String[]{"ppl", "--model", src.toString(), "--text", text.toString(), "--windows", "100000"}, "too short");
        String longPrompt = "word ".repeat(2000);
        expectUserError(new String[]{"generate", "--model", src.toString(), "--prompt", longPrompt}, "does not fit the model's context of 512");
        Path badTok = Files.createDirectory(tmp.resolve("badtok"));
        for (String f : new String[]{"config.json", "model.safetensors"}) Files.copy(src.resolve(f), badTok.resolve(f));
        Files.writeString(badTok.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\"}}");
        expectUserError(new String[]{"generate", "--model", badTok.toString(), "--prompt", "hi"}, "Unigram");
        expectUserError(new String[]{"eval", "--model", src.toString(), "--calib", text.toString(), "--text", text.toString(), "--alpha", "1.5"}, "outside [0, 1]");
        expectUserError(new String[]{"eval", "--model", src.toString(), "--calib", text.toString(), "--text", text.toString(), "--schemes", "O9"}, "unknown scheme 'O9'");
        expectUserError(new String[]{"bench", "--shape", "gpt-5"}, "unknown shape 'gpt-5'");
        expectUserError(new String[]{"ppl", "--model", src.toString(), "--text", text.toString(), "--head", "int8"}, "--head only applies to --engine int8");
        expectUserError(new String[]{"ppl", "--model", src.toString(), "--text", text.toString(), "--engine", "int8", "--head", "int4"},
                "unknown head precision 'int4'");
        expectUserError(new String[]{"ppl", "--model", src.toString(), "--text", text.toString(), "--bogus"}, "Unknown option");
        expectUserError(new String[]{"ppl"}, "Missing required options");
    }

    private void expectUserError(String[] args, String fragment) {
        out.reset();
        err.reset();
        int rc = run(args);
        String e = stderr().strip();
        assertThat(rc).as(String.join(" ", args).substring(0, Math.min(80, String.join(" ", args).length())) + " -> " + e).isEqualTo(2);
        assertThat(e.lines().filter(l -> l.startsWith("sq: ")).anyMatch(l -> l.contains(fragment))).as(e).isTrue();
        assertThat(e).doesNotContain("\tat ");
    }
}
