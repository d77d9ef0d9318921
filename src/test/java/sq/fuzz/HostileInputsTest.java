package sq.fuzz;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;
import sq.io.onnx.OnnxModel;
import sq.quant.ActivationStats;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-written table of hostile and broken inputs (docs/RELIABILITY.md lists it): every case must fail with
 * our one-line error naming the file (and tensor or key) — through the CLI (exit code 2, one stderr line) where a
 * command reads the file, else through the parser's API (an {@link InputException}). Outcomes are written to
 * target/fuzz-stats/hostile-inputs.tsv.
 */
class HostileInputsTest {
    /** What one case does: CLI arguments (null: API) or an API call, and the file name the message must contain. */
    record Attempt(String[] cli, Api api, String names) {
        static Attempt cli(String names, String... args) {
            return new Attempt(args, null, names);
        }

        static Attempt api(String names, Api api) {
            return new Attempt(null, api, names);
        }
    }

    @FunctionalInterface
    interface Api {
        void run() throws Exception;
    }

    @FunctionalInterface
    interface Prepare {
        Attempt make(Path tmp) throws Exception;
    }

    record Case(String parser, String kind, String fragment, Prepare prepare) {
        @Override
        public String toString() {
            return parser + ": " + kind;
        }
    }

    private static final List<String> OUTCOMES = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRejectedWithOneLineNamingTheFile(Case c) throws Exception {
        Attempt a = c.prepare().make(tmp);
        String message;
        if (a.cli() != null) {
            Cli.Result r = Cli.run(withQuiet(a.cli()));
            assertThat(r.rc()).as(r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).hasSize(1);
            message = r.errLines().getFirst();
            assertThat(message).startsWith("sq: ");
            OUTCOMES.add(c.parser() + "\t" + c.kind() + "\tCLI exit 2\t" + message);
        } else {
            Throwable t = null;
            try {
                a.api().run();
            } catch (Throwable x) {
                t = x;
            }
            assertThat(t).as("expected an InputException").isInstanceOf(InputException.class);
            message = t.getMessage();
            assertThat(message).doesNotContain("\n").doesNotContain("\r");
            OUTCOMES.add(c.parser() + "\t" + c.kind() + "\tInputException\t" + message);
        }
        assertThat(message).contains(a.names()).contains(c.fragment());
    }

    private static String[] withQuiet(String[] args) {
        String[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = "--quiet";
        return out;
    }

    @AfterAll
    static void writeOutcomes() throws IOException {
        Path out = Path.of(System.getProperty("sq.fuzz.out", "target"), "fuzz-stats", "hostile-inputs.tsv");
        Files.createDirectories(out.getParent());
        List<String> sorted = new ArrayList<>(OUTCOMES);
        Collections.sort(sorted);
        Files.write(out, sorted);
    }

    // ---------------------------------------------------------------- helpers

    static final Path TINY = Fixtures.bundled("tiny/llama");
    static final Path TEXT = Fixtures.bundled("text/tinystories-val.txt");

    /** A copy of tiny/llama with one file replaced (null: removed); untouched files are links to the fixture. */
    static Path model(Path tmp, String file, byte[] content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json"))
            if (!f.equals(file)) Files.createSymbolicLink(dir.resolve(f), TINY.resolve(f).toAbsolutePath());
        if (content != null) Files.write(dir.resolve(file), content);
        return dir;
    }

    static Attempt ppl(Path model, String names) {
        return Attempt.cli(names, "ppl", "--model", model.toString(), "--text", TEXT.toString(), "--windows", "1", "--window", "16");
    }

    static Attempt pplWith(Path tmp, String file, byte[] content) throws IOException {
        return ppl(model(tmp, file, content), file);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] st(String header, int dataBytes) {
        return SeedCorpus.header(header, dataBytes);
    }

    static byte[] lengthPrefix(long n, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(rest).array();
    }

    /** tiny/llama's model.safetensors with one tensor's raw bytes edited. */
    static byte[] editedWeights(Path tmp, String tensor, java.util.function.Consumer<byte[]> edit) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve("model.safetensors"))) {
            for (TensorSlice t : f.tensors().values()) {
                byte[] raw = t.data().toArray(ValueLayout.JAVA_BYTE);
                if (t.name().equals(tensor)) edit.accept(raw);
                w.add(t.name(), t.dtype(), t.shape(), raw);
            }
        }
        Path out = tmp.resolve("edited.safetensors");
        w.write(out);
        return Files.readAllBytes(out);
    }

    /** tiny/llama's config.json with edits. */
    static byte[] config(UnaryOperator<String> edit) throws IOException {
        return utf8(edit.apply(Files.readString(TINY.resolve("config.json"))));
    }

    static byte[] tokenizer(UnaryOperator<String> edit) throws IOException {
        return utf8(edit.apply(Files.readString(TINY.resolve("tokenizer.json"))));
    }

    static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    static Path sparse(Path tmp, String name, long size) throws IOException {
        Path p = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    static Path file(Path tmp, String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    // ---------------------------------------------------------------- the table

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        String ST = "model.safetensors";
        // safetensors
        c.add(new Case("safetensors", "empty file", "shorter than the 8-byte header length", t -> pplWith(t, ST, new byte[0])));
        c.add(new Case("safetensors", "header length 2^63 (negative as signed)", "header length", t -> pplWith(t, ST, lengthPrefix(Long.MIN_VALUE, new byte[8]))));
        c.add(new Case("safetensors", "header length 200 MB (over the 100 MB limit)", "is outside 2..", t -> pplWith(t, ST, lengthPrefix(200L << 20, utf8("{}")))));
        c.add(new Case("safetensors", "header length past the end of the file", "truncated: header claims", t -> pplWith(t, ST, lengthPrefix(1000, utf8("{}")))));
        c.add(new Case("safetensors", "header not JSON", "header is not valid JSON", t -> pplWith(t, ST, st("{not json", 0))));
        c.add(new Case("safetensors", "header not UTF-8", "header is not UTF-8", t -> pplWith(t, ST, lengthPrefix(4, new byte[]{'{', (byte) 0xff, (byte) 0xfe, '}'}))));
        c.add(new Case("safetensors", "header a JSON array", "header is not a JSON object", t -> pplWith(t, ST, st("[1,2]", 0))));
        c.add(new Case("safetensors", "header nested 10,000 deep", "nesting depth", t -> pplWith(t, ST, st(nested(10_000), 0))));
        c.add(new Case("safetensors", "tensor named twice", "Duplicate field 'w'", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4))));
        c.add(new Case("safetensors", "unknown dtype F8_E4M3", "tensor 'w': unsupported dtype", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4))));
        c.add(new Case("safetensors", "dtype missing", "tensor 'w': dtype is missing", t -> pplWith(t, ST, st(
                "{\"w\":{\"shape\":[4],\"data_offsets\":[0,4]}}", 4))));
        c.add(new Case("safetensors", "negative dimension", "tensor 'w': shape [-1] has a bad dimension", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"I8\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))));
        c.add(new Case("safetensors", "fractional dimension", "has a bad dimension", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"I8\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4))));
        c.add(new Case("safetensors", "shape product overflows int64", "tensor 'w': shape [4611686018427387904,4] overflows", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8))));
        c.add(new Case("safetensors", "bytes overflow int64 (numel fits)", "overflows", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", 8))));
        c.add(new Case("safetensors", "data_offsets past the end", "tensor 'w': data ends at 400", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 8))));
        c.add(new Case("safetensors", "data_offsets reversed", "not an ordered range", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8))));
        c.add(new Case("safetensors", "data_offsets beyond int64", "data_offsets must be [begin, end]", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8))));
        c.add(new Case("safetensors", "byte count does not match the shape", "needs 12 bytes but data_offsets span 8", t -> pplWith(t, ST, st(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12))));
        c.add(new Case("safetensors", "overlapping tensors with an empty one between", "overlap", t -> pplWith(t, ST, st(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16))));
        c.add(new Case("safetensors", "__metadata__ value not a string", "__metadata__ value 'n' is not a string", t -> pplWith(t, ST, st(
                "{\"__metadata__\":{\"n\":1}}", 0))));
        c.add(new Case("safetensors", "file cut in half", "truncated", t -> {
            byte[] b = Files.readAllBytes(TINY.resolve(ST));
            return pplWith(t, ST, Arrays.copyOf(b, b.length / 2));
        }));
        c.add(new Case("safetensors", "model.safetensors is a folder", "not a regular file", t -> {
            Path dir = model(t, ST, null);
            Files.createDirectory(dir.resolve(ST));
            return ppl(dir, ST);
        }));
        c.add(new Case("safetensors", "weight with the wrong shape", "'model.embed_tokens.weight' has shape [1, 64], expected [4096, 64]", t -> {
            SafetensorsWriter w = new SafetensorsWriter();
            try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve(ST))) {
                for (TensorSlice s : f.tensors().values())
                    if (s.name().equals("model.embed_tokens.weight")) w.add(s.name(), new float[64], 1, 64);
                    else w.add(s.name(), s.dtype(), s.shape(), s.data().toArray(ValueLayout.JAVA_BYTE));
            }
            w.write(t.resolve("w.safetensors"));
            return pplWith(t, ST, Files.readAllBytes(t.resolve("w.safetensors")));
        }));
        c.add(new Case("safetensors", "integer dtype for a float weight", "only F32/F16/BF16 weights load as a float model", t -> {
            SafetensorsWriter w = new SafetensorsWriter();
            try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve(ST))) {
                for (TensorSlice s : f.tensors().values())
                    if (s.name().equals("model.norm.weight")) w.add(s.name(), new byte[64], 64);
                    else w.add(s.name(), s.dtype(), s.shape(), s.data().toArray(ValueLayout.JAVA_BYTE));
            }
            w.write(t.resolve("w.safetensors"));
            return pplWith(t, ST, Files.readAllBytes(t.resolve("w.safetensors")));
        }));
        c.add(new Case("safetensors", "NaN in a weight (BF16)", "tensor 'model.layers.1.mlp.up_proj.weight' has NaN at flat index 130 (position [2, 2]", t ->
                pplWith(t, ST, editedWeights(t, "model.layers.1.mlp.up_proj.weight", b -> {
                    b[260] = (byte) 0xc0;
                    b[261] = 0x7f;
                }))));
        c.add(new Case("safetensors", "+Infinity in a weight (BF16)", "tensor 'model.norm.weight' has Infinity at flat index 63", t ->
                pplWith(t, ST, editedWeights(t, "model.norm.weight", b -> {
                    b[126] = (byte) 0x80;
                    b[127] = 0x7f;
                }))));
        c.add(new Case("safetensors", "tensor name with a line break and terminal escape", "tensor 'a\\u000ab\\u001b[31m'", t -> pplWith(t, ST, st(
                "{\"a\\nb\\u001b[31m\":{\"dtype\":\"F9\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1))));
        c.add(new Case("safetensors", "tensor name of 1 MB", "Name length (1048576) exceeds the maximum allowed (65536", t -> pplWith(t, ST, st(
                "{\"" + "x".repeat(1 << 20) + "\":{\"dtype\":\"F9\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1))));

        // model.safetensors.index.json
        String IX = Checkpoint.INDEX;
        c.add(new Case("index.json", "weight_map missing", "missing object 'weight_map'", t -> sharded(t, "{\"metadata\": {}}")));
        c.add(new Case("index.json", "shard path escapes the folder (../)", "names a bad shard file '../model.safetensors'", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": \"../model.safetensors\"}}")));
        c.add(new Case("index.json", "absolute shard path", "names a bad shard file '/etc/passwd'", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": \"/etc/passwd\"}}")));
        c.add(new Case("index.json", "shard in a sub-folder", "names a bad shard file 'sub/model.safetensors'", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": \"sub/model.safetensors\"}}")));
        c.add(new Case("index.json", "shard file missing", "names shard 'model-00009-of-00009.safetensors', which is missing", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": \"model-00009-of-00009.safetensors\"}}")));
        c.add(new Case("index.json", "shard name not a string", "weight_map entry 'lm_head.weight' is not a file name: 7", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": 7}}")));
        c.add(new Case("index.json", "tensor listed but not in its shard", "tensor 'nope.weight' listed in model.safetensors.index.json is not in this shard", t -> sharded(t,
                "{\"weight_map\": {\"nope.weight\": \"model.safetensors\"}}")));
        c.add(new Case("index.json", "not JSON", "not valid JSON", t -> sharded(t, "{\"weight_map\": ")));
        c.add(new Case("index.json", "shard name '..' (the parent folder)", "names a bad shard file '..'", t -> sharded(t,
                "{\"weight_map\": {\"lm_head.weight\": \"..\"}}")));

        // config.json
        String CJ = "config.json";
        c.add(new Case("config.json", "not JSON", "not valid JSON", t -> pplWith(t, CJ, utf8("{\"architectures\": [}"))));
        c.add(new Case("config.json", "not UTF-8", "not UTF-8 text", t -> pplWith(t, CJ, new byte[]{'{', (byte) 0xc3, '}'})));
        c.add(new Case("config.json", "a JSON array", "not a JSON object", t -> pplWith(t, CJ, utf8("[]"))));
        c.add(new Case("config.json", "nested 100,000 deep", "nesting depth", t -> pplWith(t, CJ, utf8("{\"a\":" + nested(100_000) + "}"))));
        c.add(new Case("config.json", "larger than 128 MB (sparse file)", "larger than the 134217728-byte limit", t -> {
            Path dir = model(t, CJ, null);
            sparse(dir, CJ, 200L << 20);
            return ppl(dir, CJ);
        }));
        c.add(new Case("config.json", "unsupported architecture", "unsupported architecture 'MambaForCausalLM'", t -> pplWith(t, CJ,
                config(s -> s.replace("LlamaForCausalLM", "MambaForCausalLM")))));
        c.add(new Case("config.json", "architectures entry not a string", "no 'architectures' entry", t -> pplWith(t, CJ,
                config(s -> s.replace("\"LlamaForCausalLM\"", "{}")))));
        c.add(new Case("config.json", "negative hidden_size", "'hidden_size' must be a positive integer, got -64", t -> pplWith(t, CJ,
                config(s -> s.replace("\"hidden_size\": 64", "\"hidden_size\": -64")))));
        c.add(new Case("config.json", "hidden_size a string", "'hidden_size' must be a positive integer, got \"64\"", t -> pplWith(t, CJ,
                config(s -> s.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\"")))));
        c.add(new Case("config.json", "vocab x hidden beyond one Java array", "vocab_size x hidden_size = 536870912000", t -> pplWith(t, CJ,
                config(s -> s.replace("\"hidden_size\": 64", "\"hidden_size\": 65536").replace("\"vocab_size\": 4096", "\"vocab_size\": 8192000")))));
        c.add(new Case("config.json", "num_hidden_layers 2^31-1", "'num_hidden_layers' 2147483647 is larger than 4096", t -> pplWith(t, CJ,
                config(s -> s.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 2147483647")))));
        c.add(new Case("config.json", "heads not a multiple of kv heads", "is not a multiple of the key/value heads", t -> pplWith(t, CJ,
                config(s -> s.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")))));
        c.add(new Case("config.json", "rope_parameters a string", "'rope_parameters' must be an object", t -> pplWith(t, CJ,
                config(s -> s.replaceAll("(?s)\"rope_parameters\": \\{.*?\\}", "\"rope_parameters\": \"linear\"")))));
        c.add(new Case("config.json", "linear RoPE scaling without its factor", "rope_parameters: 'factor' is required", t -> pplWith(t, CJ,
                config(s -> s.replace("\"rope_type\": \"default\"", "\"rope_type\": \"linear\"")))));
        c.add(new Case("config.json", "rms_norm_eps 1e400 (infinite)", "'rms_norm_eps' must be a finite number", t -> pplWith(t, CJ,
                config(s -> s.replace("\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": 1e400")))));
        c.add(new Case("config.json", "rope_theta 0", "'rope_theta' must be positive, got 0", t -> pplWith(t, CJ,
                config(s -> s.replace("\"rope_theta\": 10000.0", "\"rope_theta\": 0")))));
        c.add(new Case("config.json", "tie_word_embeddings \"yes\"", "'tie_word_embeddings' must be true or false", t -> pplWith(t, CJ,
                config(s -> s.replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": \"yes\"")))));
        c.add(new Case("config.json", "more layers than the checkpoint has", "missing tensor 'model.layers.2.input_layernorm.weight'", t -> {
            Path d = model(t, CJ, config(s -> s.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3")));
            return ppl(d, d.toString());
        }));
        // compressed-tensors quantization_config (inside config.json)
        String Q = "\"quantization_config\": {\"quant_method\": \"compressed-tensors\", \"format\": \"int-quantized\", \"config_groups\": "
                + "{\"group_0\": {\"targets\": [\"Linear\"], \"weights\": {\"num_bits\": 8, \"type\": \"int\", \"symmetric\": true, "
                + "\"strategy\": \"channel\", \"dynamic\": false}, \"input_activations\": {\"num_bits\": 8, \"type\": \"int\", "
                + "\"strategy\": \"token\", \"dynamic\": true}}}, \"ignore\": [\"lm_head\"]}, ";
        c.add(new Case("compressed-tensors", "quant_method gptq", "quantization_config.quant_method: 'gptq' is not supported", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replace("compressed-tensors", "gptq"))))));
        c.add(new Case("compressed-tensors", "float8 format", "quantization_config.format: 'float-quantized' is not supported", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replace("int-quantized", "float-quantized"))))));
        c.add(new Case("compressed-tensors", "num_bits 0", "config_groups.group_0.weights.num_bits: expected an integer in 1..32", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replaceFirst("\"num_bits\": 8", "\"num_bits\": 0"))))));
        c.add(new Case("compressed-tensors", "group strategy without group_size", "weights.group_size: strategy 'group' needs a positive integer", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replace("\"channel\"", "\"group\""))))));
        c.add(new Case("compressed-tensors", "quantized KV cache", "kv_cache_scheme: a quantized KV cache is not supported", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replace("\"ignore\"", "\"kv_cache_scheme\": {\"num_bits\": 8}, \"ignore\""))))));
        c.add(new Case("compressed-tensors", "targets not a list", "config_groups.group_0.targets: expected a list of strings", t -> pplWith(t, CJ,
                config(s -> s.replaceFirst("\\{", "{" + Q.replace("[\"Linear\"]", "\"Linear\""))))));
        c.add(new Case("compressed-tensors", "int8 weights without their weight_scale", "no tensor 'model.layers.0.self_attn.q_proj.weight_scale'", t -> {
            Path dir = Files.createDirectories(t.resolve("q"));
            Files.write(dir.resolve(CJ), config(s -> s.replaceFirst("\\{", "{" + Q)));
            SafetensorsWriter w = new SafetensorsWriter();
            try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve(ST))) {
                for (TensorSlice s : f.tensors().values())
                    if (s.name().equals("model.layers.0.self_attn.q_proj.weight")) w.add(s.name(), new byte[64 * 64], 64, 64);
                    else w.add(s.name(), s.dtype(), s.shape(), s.data().toArray(ValueLayout.JAVA_BYTE));
            }
            w.write(dir.resolve(ST));
            Files.createSymbolicLink(dir.resolve("tokenizer.json"), TINY.resolve("tokenizer.json").toAbsolutePath());
            return ppl(dir, "q");
        }));

        // tokenizer.json
        String TJ = "tokenizer.json";
        c.add(new Case("tokenizer.json", "not JSON", "not valid JSON", t -> pplWith(t, TJ, utf8("{\"model\": ]"))));
        c.add(new Case("tokenizer.json", "model missing", "model: missing", t -> pplWith(t, TJ, utf8("{\"version\": \"1.0\"}"))));
        c.add(new Case("tokenizer.json", "Unigram model", "model.type: \"Unigram\" is not supported", t -> pplWith(t, TJ, tokenizer(s -> s.replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"")))));
        c.add(new Case("tokenizer.json", "negative vocab id", "expected an id in 0..16777215, got -5", t -> pplWith(t, TJ, tokenizer(s -> s.replaceFirst("\"Ġt\": (\\d+)", "\"Ġt\": -5")))));
        c.add(new Case("tokenizer.json", "one id of 16 million (sparse vocab)", "id 16000000 is far beyond the", t -> pplWith(t, TJ, tokenizer(s -> s.replaceFirst("\"Ġt\": (\\d+)", "\"Ġt\": 16000000")))));
        c.add(new Case("tokenizer.json", "regex nested 5,000 groups deep", "nests 5000 groups deep", t -> pplWith(t, TJ, tokenizer(s -> s.replace(
                "\"pre_tokenizer\": {", "\"pre_tokenizer\": {\"type\": \"Split\", \"behavior\": \"Isolated\", \"pattern\": {\"Regex\": \""
                        + "(".repeat(5000) + "a" + ")".repeat(5000) + "\"}}, \"x\": {")))));
        c.add(new Case("tokenizer.json", "regex that does not compile", "cannot compile regex", t -> pplWith(t, TJ, tokenizer(s -> s.replace(
                "\"pre_tokenizer\": {", "\"pre_tokenizer\": {\"type\": \"Split\", \"behavior\": \"Isolated\", \"pattern\": {\"Regex\": \"(unclosed\"}}, \"x\": {")))));
        c.add(new Case("tokenizer.json", "merge of a token not in the vocab", "is not in the vocab", t -> pplWith(t, TJ, tokenizer(s -> s.replaceFirst("\"merges\": \\[", "\"merges\": [[\"nosuch\", \"token\"], ")))));
        c.add(new Case("tokenizer.json", "nested 100,000 deep", "nesting depth", t -> pplWith(t, TJ, utf8("{\"model\":" + nested(100_000) + "}"))));
        c.add(new Case("tokenizer.json", "WordPiece max_input_chars_per_word -1", "model.max_input_chars_per_word: expected a positive integer", t -> pplWith(t, TJ, utf8(
                "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"max_input_chars_per_word\": -1, \"vocab\": {\"[UNK]\": 0}}}"))));

        // llama2.c checkpoints (.bin)
        c.add(new Case("llama2.c model", "shorter than the header", "too short for a llama2.c checkpoint", t -> binModel(t, new byte[10])));
        c.add(new Case("llama2.c model", "inconsistent header (heads do not divide dim)", "is inconsistent", t -> binModel(t, ints(10, 8, 1, 3, 1, 8, 4))));
        c.add(new Case("llama2.c model", "header sizes overflow int64", "header sizes overflow", t -> binModel(t, ints(1 << 30, 1 << 30, 1 << 30, 2, 2, 8, 4))));
        c.add(new Case("llama2.c model", "file size does not match the header", "does not match its header", t -> binModel(t,
                Arrays.copyOf(SeedCorpus.llama2c(4, 8, 1, 2, 1, 8, 4, true), 100))));
        c.add(new Case("llama2.c model", "NaN in wq of layer 1", "llama2.c array wq layer 1 (model.layers.1.self_attn.q_proj.weight) has NaN at flat index 5", t -> {
            byte[] b = SeedCorpus.llama2c(4, 8, 2, 2, 1, 8, 4, true);
            int off = 28 + 4 * (8 * 4 + 2 * 4 + 16 + 5);
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(off, Float.NaN);
            return binModel(t, b);
        }));
        c.add(new Case("llama2.c model", "larger than 2 GB (sparse file)", "over 2 GB are not supported", t -> {
            Path p = sparse(t, "big.bin", 3L << 30);
            return Attempt.cli("big.bin", "ppl", "--model", p.toString(), "--text", TEXT.toString(), "--tokenizer", TINY.resolve("tokenizer.json").toString());
        }));

        // llama2.c tokenizers
        c.add(new Case("llama2.c tokenizer", "max_token_length 0", "max_token_length 0 is outside 1..1024", t -> binTok(t, ints(0))));
        c.add(new Case("llama2.c tokenizer", "max_token_length 2^31-1", "max_token_length 2147483647 is outside", t -> binTok(t, ints(Integer.MAX_VALUE))));
        c.add(new Case("llama2.c tokenizer", "token length past the end", "token 0 has length 1000000 but", t -> binTok(t, ints(7, 0, 1_000_000))));
        c.add(new Case("llama2.c tokenizer", "token longer than max_token_length", "more than the file's max_token_length 2", t -> binTok(t,
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(2).putFloat(0).putInt(3).put(new byte[]{'a', 'b', 'c', 0}).array())));
        c.add(new Case("llama2.c tokenizer", "truncated inside a token header", "truncated after", t -> {
            byte[] b = SeedCorpus.llama2cTokenizer();
            return binTok(t, Arrays.copyOf(b, b.length - 12)); // the last token is 4 + 4 + 6 bytes: 2 score bytes remain
        }));
        c.add(new Case("llama2.c tokenizer", "fewer than 259 tokens", "llama2.c needs at least 259", t -> binTok(t,
                ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putFloat(0).putInt(1).put((byte) ' ').array())));
        c.add(new Case("llama2.c tokenizer", "larger than 16 MB (sparse file)", "larger than the 16777216-byte limit", t -> {
            Path p = sparse(t, "tok.bin", 20L << 20);
            return Attempt.api("tok.bin", () -> Tokenizer.load(p));
        }));

        // activation statistics (calibrate's output, read by inspect --act-scales)
        c.add(new Case("act_scales", "NaN channel max", "tensor 'l' has NaN at flat index 1", t -> actScales(t, new SafetensorsWriter().add("l", new float[]{1, Float.NaN}, 2))));
        c.add(new Case("act_scales", "negative channel max", "tensor 'l' holds -1.0 at index 0", t -> actScales(t, new SafetensorsWriter().add("l", new float[]{-1, 2}, 2))));
        c.add(new Case("act_scales", "2-D act_scales tensor", "act_scales tensor 'l' must be 1-D", t -> actScales(t, new SafetensorsWriter().add("l", new float[]{1, 2}, 1, 2))));
        c.add(new Case("act_scales", "empty static scale", "static scale 'static_input.l' must hold one value, has shape [0]", t -> actScales(t,
                new SafetensorsWriter().add("l", new float[]{1, 2}, 2).add("static_input.l", new float[0], 0))));
        c.add(new Case("act_scales", "no statistics at all", "holds no activation statistics", t -> actScales(t, new SafetensorsWriter().metadata("a", "b"))));

        // ONNX (sq.io.onnx)
        c.add(new Case("onnx", "empty file", "empty file", t -> onnx(t, new byte[0])));
        c.add(new Case("onnx", "truncated varint", "truncated or corrupt ONNX file", t -> onnx(t, new byte[]{0x08, (byte) 0x80})));
        c.add(new Case("onnx", "wire type 7", "invalid field tag", t -> onnx(t, new byte[]{0x0f})));
        c.add(new Case("onnx", "length past the end", "declares 100 bytes", t -> onnx(t, new byte[]{0x3a, 100, 1, 2})));
        c.add(new Case("onnx", "no graph", "no graph", t -> onnx(t, new byte[]{0x08, 7})));

        // outputs: never over the input
        c.add(new Case("outputs", "quantize --out inside the input model", "the output must not be inside the input", t -> {
            Path dir = model(t, "none", null);
            return Attempt.cli("out", "quantize", "--model", dir.toString(), "--calib", TEXT.toString(), "--out", dir.resolve("out").toString());
        }));
        c.add(new Case("outputs", "quantize --out is the folder holding the input", "the output would contain the input", t -> {
            Path dir = model(t, "none", null);
            return Attempt.cli(t.toString(), "quantize", "--model", dir.toString(), "--calib", TEXT.toString(), "--out", t.toString(), "--force");
        }));
        c.add(new Case("outputs", "calibrate --out is the input weights (--force)", "the output must not be inside the input", t -> {
            Path dir = model(t, "none", null);
            return Attempt.cli("model.safetensors", "calibrate", "--model", dir.toString(), "--calib", TEXT.toString(),
                    "--out", dir.resolve("model.safetensors").toString(), "--force");
        }));
        c.add(new Case("outputs", "quantize into a non-empty folder without --force", "exists and is not empty; use --force", t -> {
            Path out = Files.createDirectories(t.resolve("out"));
            Files.writeString(out.resolve("keep.txt"), "mine");
            return Attempt.cli("out", "quantize", "--model", TINY.toString(), "--calib", TEXT.toString(), "--calib-windows", "1",
                    "--calib-window", "16", "--out", out.toString());
        }));
        return c.stream();
    }

    private static Attempt sharded(Path t, String index) throws IOException {
        Path dir = model(t, Checkpoint.INDEX, utf8(index));
        Files.createDirectories(dir.resolve("sub"));
        return ppl(dir, Checkpoint.INDEX);
    }

    private static byte[] ints(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : v) b.putInt(i);
        return b.array();
    }

    private static Attempt binModel(Path t, byte[] b) throws IOException {
        Path p = file(t, "model.bin", b);
        return Attempt.cli("model.bin", "ppl", "--model", p.toString(), "--text", TEXT.toString(),
                "--tokenizer", Fixtures.bundled("stories260K/tok512.bin").toString());
    }

    private static Attempt binTok(Path t, byte[] b) throws IOException {
        Path p = file(t, "tok.bin", b);
        return Attempt.cli("tok.bin", "ppl", "--model", Fixtures.bundled("stories260K/stories260K.bin").toString(), "--text", TEXT.toString(),
                "--tokenizer", p.toString(), "--windows", "1", "--window", "16");
    }

    private static Attempt actScales(Path t, SafetensorsWriter w) throws IOException {
        Path p = t.resolve("act_scales.safetensors");
        w.write(p);
        return Attempt.api("act_scales.safetensors", () -> ActivationStats.load(p));
    }

    private static Attempt onnx(Path t, byte[] b) throws IOException {
        Path p = file(t, "model.onnx", b);
        return Attempt.api("model.onnx", () -> OnnxModel.read(p));
    }

}
