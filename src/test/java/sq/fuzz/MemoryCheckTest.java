package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.io.MemoryCheck;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.model.SyntheticModels;
import sq.testing.Fixtures;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The memory pre-check: estimates per engine, the message, and the CLI stopping before any weight is converted. */
class MemoryCheckTest {
    static final long GB = 1L << 30;

    @TempDir
    Path tmp;

    @Test
    void estimatesFollowTheParameterCount() {
        ModelConfig c = SyntheticModels.config("tinyllama-1.1b");
        MemoryCheck.Estimate fp32 = MemoryCheck.estimate(c, "fp32", 512);
        // TinyLlama has 1.1e9 parameters: 4.4 GB of float32 weights
        assertThat(fp32.weights() / 1e9).isBetween(4.3, 4.6);
        assertThat(fp32.total()).isGreaterThan(fp32.weights());
        assertThat(MemoryCheck.bytesPerParameter("fp32", c)).isEqualTo(4.0);
        assertThat(MemoryCheck.bytesPerParameter("int8", c)).isBetween(1.0, 1.7);
        assertThatThrownBy(() -> MemoryCheck.estimate(c, "fp4", 512)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void messageSaysWhatIsNeededAndWhatToDo() {
        ModelConfig c = SyntheticModels.config("tinyllama-1.1b");
        MemoryCheck.Estimate e = MemoryCheck.estimate(c, "fp32", 512);
        assertThat(MemoryCheck.verdict(c, e, 64 * GB, 0, 128 * GB)).isNull();
        String m = MemoryCheck.verdict(c, e, 3 * GB, 0, 16 * GB);
        assertThat(m).startsWith("the model needs about 4.").contains("for the fp32 engine").contains("but the JVM may use 3.0 GB")
                .contains("raise the limit with SQ_JAVA_OPTS=-Xmx6g").contains("or use --engine int8 (about 1.");
        // a machine too small for -Xmx: say so instead of suggesting it
        String small = MemoryCheck.verdict(c, e, 3 * GB, 0, 4 * GB);
        assertThat(small).contains("this machine has only 4.0 GB of memory").doesNotContain("-Xmx").contains("use --engine int8");
        assertThat(m).doesNotContain("\n");
    }

    @Test
    void engineRegistryIsTheHookForNewEngines() {
        ModelConfig c = SyntheticModels.config("smollm2-360m");
        MemoryCheck.registerEngine("test-2bit", cfg -> MemoryCheck.weightCount(cfg) / 4);
        try {
            String m = MemoryCheck.verdict(c, MemoryCheck.estimate(c, "fp32", 512), GB / 2, 0, 64 * GB);
            assertThat(m).contains("or use --engine test-2bit");
        } finally {
            MemoryCheck.registerEngine("test-2bit", cfg -> Long.MAX_VALUE); // never smaller again
        }
    }

    /** A config.json that claims a 7B model over a tiny checkpoint: refused before any tensor is converted. */
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
        Cli.Result r = Cli.run("ppl", "--model", dir.toString(), "--text", Fixtures.bundled("text/tinystories-val.txt").toString(), "--quiet");
        assertThat(r.rc()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        String e = r.errLines().getFirst();
        assertThat(e).startsWith("sq: " + dir).contains("the model needs about 2").contains("for the fp32 engine")
                .containsAnyOf("SQ_JAVA_OPTS=-Xmx", "this machine has only").contains("--engine int8");
    }

    @Test
    void canBeSkipped() {
        ModelConfig c = SyntheticModels.config("tinyllama-1.1b");
        System.setProperty(MemoryCheck.SKIP_PROPERTY, "false");
        try {
            MemoryCheck.require(MemoryCheck.estimate(c, "fp32", 1 << 20), c, "x"); // terabytes, but skipped
        } finally {
            System.clearProperty(MemoryCheck.SKIP_PROPERTY);
        }
        assertThatThrownBy(() -> MemoryCheck.require(MemoryCheck.estimate(c, "fp32", 1 << 20), c, "x")).isInstanceOf(InputException.class);
    }
}
