package sq.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.eval.Windows;
import sq.io.Checkpoint;
import sq.io.Json;
import sq.model.LayerSource;
import sq.model.ModelLoader;
import sq.quant.Calibrator;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory plan on the command line: printed before loading (two lines; none under --quiet, a field under --json),
 * a too-small --max-memory refused with exit 2 naming the option, the model commands of the bundled model still
 * running, the skip switch; and calibrate on a BF16 checkpoint with its embeddings mapped writes the act_scales of the
 * whole-model calibration byte for byte.
 */
class MemoryPlanCliTest {
    @TempDir
    Path tmp;

    static final String MODEL = Fixtures.bundled("stories260K").toString(), TEXT = Fixtures.bundled("text/tinystories-val.txt").toString();

    @Test
    void planIsPrintedAndATooSmallCapIsRefused() {
        Cli.Result ok = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--windows", "2", "--window", "64");
        assertThat(ok.rc()).as(ok.err()).isZero();
        assertThat(ok.errLines()).anyMatch(l -> l.startsWith("sq: memory plan (fp32 engine, weights on the heap): weights ")
                && l.contains("(context 64 x batch 1)"));
        assertThat(ok.errLines()).anyMatch(l -> l.startsWith("sq: needs heap ") && l.contains("(-Xmx)"));

        Cli.Result refused = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--windows", "2", "--max-memory", "64M");
        assertThat(refused.rc()).as(refused.err()).isEqualTo(2);
        String last = refused.errLines().getLast();
        assertThat(last).startsWith("sq: " + MODEL + ": needs about ").endsWith("but --max-memory is 64 MB; give a larger --max-memory");
        assertThat(refused.out()).isEmpty();

        Cli.Result bad = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--max-memory", "lots", "--quiet");
        assertThat(bad.rc()).isEqualTo(2);
        assertThat(bad.errLines()).containsExactly("sq: --max-memory lots: give a size such as 8G or 512M");
    }

    @Test
    void quietPrintsNothingAndJsonCarriesThePlan() throws Exception {
        Cli.Result q = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--windows", "2", "--window", "64", "--quiet");
        assertThat(q.rc()).as(q.err()).isZero();
        assertThat(q.errLines()).noneMatch(l -> l.contains("memory plan"));
        Cli.Result j = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--windows", "2", "--window", "64", "--json", "--engine", "int8");
        assertThat(j.rc()).as(j.err()).isZero();
        assertThat(j.errLines()).noneMatch(l -> l.contains("memory plan") || l.startsWith("sq: needs heap"));
        JsonNode plan = Json.MAPPER.readTree(j.out()).get("memory_plan");
        assertThat(plan.get("mode").asText()).isEqualTo("int8 engine, quantized one layer at a time");
        assertThat(plan.get("context").asInt()).isEqualTo(64);
        assertThat(plan.get("total_bytes").asLong()).isGreaterThan(plan.get("heap_weight_bytes").asLong());
        assertThat(plan.get("heap_max_bytes").asLong()).isEqualTo(Runtime.getRuntime().maxMemory());
    }

    /** The model commands on the bundled model, each load path once (bench: its loading is ppl's; its timing runs are long). */
    @Test
    void bundledModelCommandsStillRun() {
        String calib = Fixtures.bundled("text/calib.txt").toString();
        String[][] commands = {
                {"generate", "--model", MODEL, "--prompt", "Once", "-n", "4", "--temperature", "0"},
                {"logits", "--model", MODEL, "--text", TEXT, "--tokens", "8", "-o", tmp.resolve("l.safetensors").toString()},
                {"calibrate", "--model", MODEL, "--calib", calib, "--calib-windows", "2", "--calib-window", "32", "-o", tmp.resolve("s.safetensors").toString()},
                {"quantize", "--model", MODEL, "--calib", calib, "--calib-windows", "2", "--calib-window", "32", "--scheme", "O1", "-o", tmp.resolve("q").toString()},
                {"ppl", "--model", tmp.resolve("q").toString(), "--text", TEXT, "--windows", "1", "--window", "32"}};
        for (String[] c : commands) {
            Cli.Result r = Cli.run(c);
            assertThat(r.rc()).as(String.join(" ", c) + "\n" + r.err()).isZero();
            assertThat(r.errLines()).as(c[0]).anyMatch(l -> l.startsWith("sq: memory plan ("));
        }
    }

    /** calibrate maps the BF16 embeddings (llama-8m: BF16, untied head): the same act_scales as calibrating the model in memory. */
    @Test
    void calibrateWithMappedEmbeddingsEqualsTheWholeModel() throws Exception {
        Path src = Fixtures.shared("trained/llama-8m");
        Path calib = Fixtures.bundled("text/calib.txt");
        try (Checkpoint ckpt = Checkpoint.open(src)) {
            assertThat(ckpt.get("model.embed_tokens.weight").dtype()).isEqualTo(sq.io.DType.BF16);
        }
        Path out = tmp.resolve("cli.safetensors");
        Cli.Result r = Cli.run("calibrate", "--model", src.toString(), "--calib", calib.toString(), "--calib-windows", "3",
                "--calib-window", "48", "-o", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.errLines()).anyMatch(l -> l.startsWith("sq: memory plan (fp32, one decoder layer at a time): weights ")
                && l.contains(" mapped + ")); // the table is not on the heap
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        Windows w = Windows.of(tok.encode(Files.readString(calib, StandardCharsets.UTF_8)), 48, 0, 3, "calib");
        Path whole = tmp.resolve("whole.safetensors");
        Calibrator.calibrate(LayerSource.of(ModelLoader.load(src)), w, i -> { }).save(whole);
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(whole));
    }

    /** A config.json that claims a 7B bf16 model over a sparse checkpoint: refused before any tensor is converted. */
    @Test
    void cliStopsBeforeLoadingAModelThatDoesNotFit() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("big"));
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_attention_heads": 32, "num_hidden_layers": 32,
                 "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096}
                """);
        // headers only: every tensor present with its shape, data offsets pointing into a sparse file
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        String[][] per = {{"input_layernorm", "4096"}, {"post_attention_layernorm", "4096"}, {"self_attn.q_proj", "4096,4096"},
                {"self_attn.k_proj", "4096,4096"}, {"self_attn.v_proj", "4096,4096"}, {"self_attn.o_proj", "4096,4096"},
                {"mlp.gate_proj", "11008,4096"}, {"mlp.up_proj", "11008,4096"}, {"mlp.down_proj", "4096,11008"}};
        java.util.List<String[]> all = new java.util.ArrayList<>();
        all.add(new String[]{"model.embed_tokens.weight", "32000,4096"});
        all.add(new String[]{"model.norm.weight", "4096"});
        all.add(new String[]{"lm_head.weight", "32000,4096"});
        for (int l = 0; l < 32; l++) for (String[] p : per) all.add(new String[]{"model.layers." + l + "." + p[0] + ".weight", p[1]});
        for (String[] t : all) {
            long n = 2;
            for (String d : t[1].split(",")) n *= Long.parseLong(d);
            if (h.length() > 1) h.append(',');
            h.append('"').append(t[0]).append("\":{\"dtype\":\"BF16\",\"shape\":[").append(t[1]).append("],\"data_offsets\":[")
                    .append(off).append(',').append(off + n).append("]}");
            off += n;
        }
        byte[] head = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path st = dir.resolve("model.safetensors");
        try (var f = new java.io.RandomAccessFile(st.toFile(), "rw")) {
            f.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(head.length).array());
            f.write(head);
            f.setLength(8 + head.length + off); // 13 GB, sparse
        }
        Files.copy(Fixtures.bundled("tiny/llama/tokenizer.json"), dir.resolve("tokenizer.json"));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            new ModelLoader(ck).checkTensors(); // the checkpoint itself is consistent: only its size is the problem
        }
        // the fp32 engine maps the bf16 linears (12.3 GB) and holds the embeddings in fp32: ~14 GB in all
        Cli.Result r = Cli.run("ppl", "--model", dir.toString(), "--text", Fixtures.bundled("text/tinystories-val.txt").toString(), "--quiet",
                "--max-memory", "2G");
        assertThat(r.rc()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        String e = r.errLines().getFirst();
        // the int8 engine (7.4 GB) does not fit 2 GB either: not offered
        assertThat(e).startsWith("sq: " + dir + ": needs about 1").contains(" mapped + ")
                .endsWith("but --max-memory is 2.0 GB; give a larger --max-memory");
    }

    @Test
    void canBeSkipped() {
        System.setProperty("sq.memoryCheck", "false");
        try {
            Cli.Result r = Cli.run("ppl", "--model", MODEL, "--text", TEXT, "--windows", "1", "--window", "32", "--max-memory", "1M", "--quiet");
            assertThat(r.rc()).as(r.err()).isZero(); // far above 1 MB, but the check is off
        } finally {
            System.clearProperty("sq.memoryCheck");
        }
    }
}
