package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.quant.ActivationStats;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * One named test per crash, hang or silent acceptance that fuzzing or the hardening review found, each with the
 * input that triggered it and what happened before the fix (docs/RELIABILITY.md, "Findings").
 */
class FuzzRegressionTest {
    @TempDir
    Path tmp;

    /** Was: NullPointerException (a relative model path whose shard name normalizes to no parent). */
    @Test
    void indexShardNamedParentOfARelativeModelPath() throws IOException {
        Path rel = Path.of("target", "fuzz-regression-" + ProcessHandle.current().pid());
        Files.createDirectories(rel);
        try {
            Files.writeString(rel.resolve("config.json"), "{}");
            Files.writeString(rel.resolve(Checkpoint.INDEX), "{\"weight_map\": {\"w\": \"../..\"}}");
            assertThatThrownBy(() -> Checkpoint.open(rel)).isInstanceOf(InputException.class)
                    .hasMessageContaining(Checkpoint.INDEX).hasMessageContaining("names a bad shard file '../..'");
        } finally {
            for (String f : new String[]{"config.json", Checkpoint.INDEX}) Files.deleteIfExists(rel.resolve(f));
            Files.deleteIfExists(rel);
        }
    }

    /** Was: NullPointerException (TemplateProcessing "single" given as an object instead of a list). */
    @Test
    void tokenizerTemplateSingleAsAnObject() throws IOException {
        String json = Files.readString(seed("TokenizerJsonFuzzTest", "bytelevel-bpe.json"))
                .replace("\"single\": [", "\"single\": {\"x\": [").replace("\"type_id\": 0}}],", "\"type_id\": 0}}]},");
        Path f = Files.writeString(tmp.resolve("tokenizer.json"), json);
        // once ignored (no BOS); the post-processor is now read whole, so a malformed one is refused by name
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(InputException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("post_processor.single");
    }

    /** Was: ArrayIndexOutOfBoundsException (a static scale tensor of shape [0]). */
    @Test
    void activationStatsWithAnEmptyStaticScale() throws IOException {
        Path f = tmp.resolve("act.safetensors");
        new SafetensorsWriter().add("l", new float[]{1, 2}, 2).add("static_output.l", new float[0], 0).write(f);
        assertThatThrownBy(() -> ActivationStats.load(f)).isInstanceOf(InputException.class)
                .hasMessageContaining("act.safetensors").hasMessageContaining("static scale 'static_output.l' must hold one value");
    }

    /** Was: silently accepted (the overlap check compared neighbours only; an empty tensor between hid it). */
    @Test
    void safetensorsOverlapHiddenByAnEmptyTensor() throws IOException {
        Path f = Files.write(tmp.resolve("o.safetensors"), SeedCorpus.header(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"e\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16));
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class).hasMessageContaining("overlap");
    }

    /** Was: silently accepted, last entry winning (a tensor named twice in the header). */
    @Test
    void safetensorsDuplicateTensorName() throws IOException {
        Path f = Files.write(tmp.resolve("d.safetensors"), SeedCorpus.header(
                "{\"w\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class).hasMessageContaining("Duplicate field 'w'");
    }

    /** Was: silently accepted with U+FFFD in the tensor name (a header that is not UTF-8). */
    @Test
    void safetensorsHeaderNotUtf8() throws IOException {
        byte[] h = "{\"w\u00ff\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}".getBytes(StandardCharsets.ISO_8859_1);
        Path f = Files.write(tmp.resolve("u.safetensors"),
                ByteBuffer.allocate(9 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class).hasMessageContaining("header is not UTF-8");
    }

    /** Was: a two-line error message (a tensor name holding a line break was printed as is). */
    @Test
    void errorMessagesStayOneLine() throws IOException {
        Path f = Files.write(tmp.resolve("n.safetensors"), SeedCorpus.header(
                "{\"line\\nbreak\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class)
                .hasMessageContaining("tensor 'line\\u000abreak'").message().doesNotContain("\n");
    }

    /**
     * Was: handed to java.util.regex as is; a pattern nested 50,000 deep was only stopped by java.util.regex catching
     * its own stack overflow (so it depended on the thread's stack size), 5,000 deep was compiled.
     */
    @Test
    void tokenizerRegexNestedTooDeep() throws IOException {
        String json = Files.readString(seed("TokenizerJsonFuzzTest", "split-regex.json"))
                .replaceFirst("\"Regex\": \"[^\"]*\"", "\"Regex\": \"" + "(".repeat(50_000) + "a" + ")".repeat(50_000) + "\"");
        Path f = Files.writeString(tmp.resolve("tokenizer.json"), json);
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(InputException.class)
                .hasMessageContaining("pattern.Regex: regex of 100001 characters is longer than 16384");
        String nested = Files.readString(seed("TokenizerJsonFuzzTest", "split-regex.json"))
                .replaceFirst("\"Regex\": \"[^\"]*\"", "\"Regex\": \"" + "(".repeat(5000) + "a" + ")".repeat(5000) + "\"");
        Path g = Files.writeString(tmp.resolve("nested.json"), nested);
        assertThatThrownBy(() -> Tokenizer.load(g)).isInstanceOf(InputException.class).hasMessageContaining("nests 5000 groups deep");
    }

    /** Was: 68 MB allocated for a 1 KB file (one vocab id near 2^24 sized the id table). */
    @Test
    void tokenizerSparseIdsAreRefused() throws IOException {
        String json = Files.readString(seed("TokenizerJsonFuzzTest", "bytelevel-bpe.json")).replace("\"d\": 12", "\"d\": 16777215");
        Path f = Files.writeString(tmp.resolve("tokenizer.json"), json);
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(InputException.class).hasMessageContaining("id 16777215 is far beyond");
    }

    /**
     * Was: accepted after 10 s of CPU and gigabytes of garbage (a valid tokenizer plus one 200 KB piece: the merge
     * table tries every cut of every piece, quadratic in the piece length).
     */
    @Test
    void llama2cTokenizerHugePieceIsRefusedQuickly() throws IOException {
        int n = 200_000;
        byte[] ok = SeedCorpus.llama2cTokenizer();
        byte[] big = new byte[ok.length + 8 + n];
        System.arraycopy(ok, 0, big, 0, ok.length);
        ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putInt(0, n); // max_token_length
        ByteBuffer.wrap(big, ok.length, 8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putInt(n);
        java.util.Arrays.fill(big, ok.length + 8, big.length, (byte) 'a');
        Path f = Files.write(tmp.resolve("tok.bin"), big);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(InputException.class).hasMessageContaining("max_token_length 200000 is outside"));
        // within the limits the same shape costs little: a 1 KB piece
        ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1024);
        byte[] kb = java.util.Arrays.copyOf(big, ok.length + 8 + 1024);
        ByteBuffer.wrap(kb, ok.length, 8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putInt(1024);
        Path g = Files.write(tmp.resolve("tok1k.bin"), kb);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThat(Tokenizer.load(g).vocabSize()).isEqualTo(269));
    }

    /** Was: OutOfMemoryError "Requested array size exceeds VM limit" (num_hidden_layers 2^31-1 sized the layer list). */
    @Test
    void configWithAbsurdLayerCount() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Path src = Fixtures.bundled("tiny/llama");
        Files.writeString(dir.resolve("config.json"), Files.readString(src.resolve("config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 2147483647"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> sq.model.ModelLoader.load(dir)).isInstanceOf(InputException.class)
                .hasMessageContaining("'num_hidden_layers' 2147483647 is larger than");
    }

    /** Was: "size 28 bytes does not match its header (expected -9223371989610135524)": a silent int64 overflow. */
    @Test
    void llama2cHeaderOverflow() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[]{1 << 30, 1 << 30, 1 << 30, 2, 2, 8, 4}) b.putInt(v);
        Path f = Files.write(tmp.resolve("o.bin"), b.array());
        assertThatThrownBy(() -> sq.io.Llama2cReader.read(f)).isInstanceOf(InputException.class).hasMessageContaining("header sizes overflow");
    }

    /**
     * Was: NullPointerException with a stack trace and exit code 1 (a tokenizer.json nested 100,000 deep: Jackson's
     * nesting error has no location, and the message code read it).
     */
    @Test
    void tokenizerJsonNestedTooDeep() throws IOException {
        Path f = Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(InputException.class).hasMessageContaining("nesting depth");
    }

    /** Was: both silently loaded: a NaN weight and an infinite one reached the forward pass (and a NaN perplexity). */
    @Test
    void nonFiniteWeightsStopLoading() throws IOException {
        Path f = tmp.resolve("w.safetensors");
        new SafetensorsWriter().add("a", new float[]{1, Float.NaN}, 2).add("b", new float[]{Float.NEGATIVE_INFINITY}, 1, 1).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertThatThrownBy(() -> s.get("a").toFloats()).isInstanceOf(InputException.class)
                    .hasMessageContaining("tensor 'a' has NaN at flat index 1 (position [1] of shape [2])");
            assertThatThrownBy(() -> s.get("b").toFloats()).isInstanceOf(InputException.class)
                    .hasMessageContaining("tensor 'b' has -Infinity at flat index 0 (position [0, 0] of shape [1, 1])");
            assertThat(s.get("a").toFloatsUnchecked()).hasSize(2);
        }
    }

    /**
     * Was: the input model deleted. `quantize --out DIR --force` where DIR holds the input model replaced DIR, model
     * included; `calibrate --out MODEL/model.safetensors --force` overwrote the weights.
     */
    @Test
    void outputsNeverReplaceTheirInput() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Path src = Fixtures.bundled("tiny/llama");
        for (String n : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) Files.copy(src.resolve(n), dir.resolve(n));
        String calib = Fixtures.bundled("text/tinystories-val.txt").toString();
        Cli.Result q = Cli.run("quantize", "--model", dir.toString(), "--calib", calib, "--out", tmp.toString(), "--force", "--quiet");
        assertThat(q.rc()).isEqualTo(2);
        assertThat(q.errLines()).singleElement().asString().contains("the output would contain the input");
        Cli.Result c = Cli.run("calibrate", "--model", dir.toString(), "--calib", calib, "--out", dir.resolve("model.safetensors").toString(),
                "--force", "--quiet");
        assertThat(c.rc()).isEqualTo(2);
        assertThat(dir.resolve("model.safetensors")).hasSameBinaryContentAs(src.resolve("model.safetensors"));
    }

    static Path seed(String target, String name) {
        try {
            return Path.of(FuzzRegressionTest.class.getResource("/sq/fuzz/" + target + "Inputs/fuzz/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
