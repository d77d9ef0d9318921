package sq.quant;

import org.junit.jupiter.api.Test;
import sq.io.Json;
import sq.model.Architectures;
import sq.model.ModelConfig;
import sq.model.SyntheticModels;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory plan's arithmetic on real shapes, against independent figures: the published parameter counts, the
 * size of the Llama-3.1-8B-shaped bf16 checkpoint (4 shards, 16,060,556,304 bytes with headers, made by
 * tools/make_llama31_8b.py) and the peak RSS measured for it (docs/PERFORMANCE.md); and the verdict's messages.
 */
class MemoryPlanTest {
    static final long GB = 1L << 30, MB = 1L << 20;
    static final MemoryPlan.Run PPL = new MemoryPlan.Run(256, 256, 1, "--window");

    /** Llama 3.1 8B's config.json (as in /work/big/llama31-8b), the shape the issue proves streaming on. */
    static ModelConfig llama31_8b() {
        String json = """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
                 "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": false, "bos_token_id": 128000,
                 "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """;
        return Architectures.parse(Json.parse("llama31-8b", json.getBytes(StandardCharsets.UTF_8)), Path.of("llama31-8b/config.json"));
    }

    @Test
    void llama31_8bOnTheFp32EngineMapsItsBf16Linears() {
        ModelConfig c = llama31_8b();
        assertThat(c.parameterCount() / 1e9).isBetween(8.02, 8.04); // Meta: 8.03B
        MemoryPlan whole = MemoryPlan.fp32(c, PPL);
        assertThat(whole.heapWeights() / 1e9).isBetween(32.1, 32.3); // "Llama-3.1-8B needs 32 GB that way" (the issue)
        MemoryPlan mapped = MemoryPlan.fp32Mapped(c, PPL, n -> true);
        // every linear and the untied head stay in the file: the checkpoint less its bf16 embedding table and norms
        long file = 16_060_556_304L, embedBf16 = 2L * 128256 * 4096;
        assertThat((double) mapped.mapped()).isCloseTo(file - embedBf16, org.assertj.core.data.Percentage.withPercentage(0.1));
        // heap: embeddings in fp32 (2.1 GB) + the lm_head widened as prefill scratch (2.1 GB) + norms
        assertThat(mapped.heapWeights() / 1e9).isBetween(4.2, 4.3);
        // decode only (one token per pass): no scratch
        assertThat(MemoryPlan.fp32Mapped(c, new MemoryPlan.Run(64, 1, 1, null), n -> true).heapWeights() / 1e9).isBetween(2.1, 2.2);
        // nothing stored bf16: the whole model on the heap, as fp32
        assertThat(MemoryPlan.fp32Mapped(c, PPL, n -> false)).isEqualTo(whole);
        assertThat(mapped.describe()).startsWith("memory plan (fp32 engine, bf16 linears mapped): weights 14.0 GB mapped + 3.9 GB heap")
                .contains("(context 256 x batch 1)").doesNotContain("\n");
    }

    @Test
    void llama31_8bLayerByLayer() {
        ModelConfig c = llama31_8b();
        // calibrate, 16 windows x 256, embeddings mapped: one fp32 layer (218M parameters: 0.87 GB) + 64 MB of hidden states
        MemoryPlan calib = MemoryPlan.layerwise(c, 16, 256, 0, 1, 1);
        assertThat(calib.heapWeights() / 1e9).isBetween(0.87, 0.88);
        assertThat(calib.activations()).isGreaterThan(16L * 256 * 4096 * 4);
        assertThat(calib.heap()).isBetween(GB, 3 * GB / 2);
        assertThat(calib.mapped()).isEqualTo(16L * 256 * 8192); // the windows' rows of the bf16 table, 8 KB each
        // the same with the table widened onto the heap (what calibrate did before): 2.1 GB more
        assertThat(MemoryPlan.layerwise(c, 16, 256, 4L * 128256 * 4096, 1, 1).heap() - calib.heap()).isEqualTo(4L * 128256 * 4096);
        // quantize (a layer and its smoothed copy): within the 2.73 GB peak RSS measured with -Xmx2500m
        MemoryPlan quantize = MemoryPlan.layerwise(c, 16, 256, 0, 2, 1);
        assertThat(quantize.heap()).isBetween(2 * GB - 200 * MB, 2500 * MB);
        // windows scale the hidden states: 4 bytes x hidden per token and lane
        assertThat(MemoryPlan.layerwise(c, 32, 256, 0, 1, 2).activations() - calib.activations()).isEqualTo(4L * 4096 * (2 * 32 - 16) * 256);
    }

    @Test
    void tinyllamaEngines() {
        ModelConfig c = SyntheticModels.config("tinyllama-1.1b");
        MemoryPlan fp32 = MemoryPlan.fp32(c, MemoryPlan.Run.DEFAULT);
        assertThat(fp32.heapWeights() / 1e9).isBetween(4.3, 4.6); // 1.1e9 parameters x 4 bytes
        // int8 linears (0.97 GB), int8 ends (2 x 65.5 MB), one fp32 table (262 MB) while it is quantized:
        // bench --shape tinyllama-1.1b --engine int8 peaks at 1.35 GB RSS (the launcher's comment on G1 regions)
        MemoryPlan int8 = MemoryPlan.int8Streamed(c, MemoryPlan.Run.DEFAULT, HeadPrecision.INT8);
        assertThat(int8.heapWeights() / 1e9).isBetween(1.2, 1.4);
        assertThat((double) int8.total()).isBetween(1.35e9, 1.35e9 * 1.3); // not below what was measured, not far above
        // fp32 ends: 2 x 262 MB instead of 2 x 66 MB, and at the peak one fp32 layer (176 MB) instead of a table: 0.31 GB more
        MemoryPlan fp32Head = MemoryPlan.int8Streamed(c, MemoryPlan.Run.DEFAULT, HeadPrecision.FP32);
        assertThat((fp32Head.heapWeights() - int8.heapWeights()) / 1e9).isBetween(0.29, 0.33);
        // KV cache: 22 layers x 2 x 256 x 4 bytes per position (float)
        MemoryPlan serve = MemoryPlan.int8Streamed(c, new MemoryPlan.Run(2048, 512, 32, "--max-context"), HeadPrecision.INT8);
        assertThat(serve.kvCache()).isEqualTo(22L * 2 * 256 * 4 * 2048 * 32);
        // serve --kv-cache-mb 64: the pool bounds the KV cache whatever the context and batch
        MemoryPlan pool = MemoryPlan.int8Streamed(c, new MemoryPlan.Run(2048, 512, 32, "--kv-cache-mb", 64 * MB), HeadPrecision.INT8);
        assertThat(pool.kvCache()).isEqualTo(64 * MB);
        // a context beyond the model's is cut to it (2048 positions)
        assertThat(MemoryPlan.fp32(c, new MemoryPlan.Run(1 << 20, 16, 1, null)).run().context()).isEqualTo(2048);
    }

    @Test
    void verdictNamesWhatToChange() {
        ModelConfig c = SyntheticModels.config("tinyllama-1.1b");
        MemoryPlan fp32 = MemoryPlan.fp32(c, MemoryPlan.Run.DEFAULT);
        MemoryPlan int8 = MemoryPlan.int8Streamed(c, MemoryPlan.Run.DEFAULT, HeadPrecision.INT8);
        assertThat(fp32.verdict(new MemoryPlan.Budget(64 * GB, 0, 100 * GB, "test", 0), int8)).isNull();
        // the cap first
        String cap = fp32.verdict(new MemoryPlan.Budget(64 * GB, 0, 100 * GB, "test", 2 * GB), int8);
        assertThat(cap).startsWith("needs about 4.").contains("but --max-memory is 2.0 GB").contains("use --engine int8 (about 1.")
                .doesNotContain("\n");
        // the int8 engine is offered only where it fits too
        assertThat(fp32.verdict(new MemoryPlan.Budget(64 * GB, 0, 100 * GB, "test", GB), int8)).endsWith("; give a larger --max-memory");
        // a cap above the RAM available: the RAM is the limit named
        assertThat(fp32.verdict(new MemoryPlan.Budget(64 * GB, 0, 3 * GB, "MemAvailable", 8 * GB), int8)).contains("but 3.0 GB is available");
        // the heap: -Xmx where the machine has it, else the RAM
        String heap = fp32.verdict(new MemoryPlan.Budget(3 * GB, 0, 16 * GB, "test", 0), int8);
        assertThat(heap).startsWith("needs about 4.").contains("of heap").contains("but the JVM may use 3.0 GB")
                .contains("raise the limit with SQ_JAVA_OPTS=-Xmx6g").contains("or use --engine int8 (about 1.");
        String ram = fp32.verdict(new MemoryPlan.Budget(3 * GB, 0, 4 * GB, "MemAvailable", 0), int8);
        assertThat(ram).doesNotContain("-Xmx").contains("use --engine int8");
        String ramOnly = fp32.verdict(new MemoryPlan.Budget(64 * GB, 0, 4 * GB, "MemAvailable", 0), int8);
        assertThat(ramOnly).contains("of RAM").contains("but 4.0 GB is available (MemAvailable)").contains("use --engine int8");
        // mapped pages count against the RAM, not the heap
        MemoryPlan mapped = MemoryPlan.fp32Mapped(llama31_8b(), PPL, n -> true);
        assertThat(mapped.verdict(new MemoryPlan.Budget(8 * GB, 0, 30 * GB, "test", 0), null)).isNull();
        assertThat(mapped.verdict(new MemoryPlan.Budget(8 * GB, 0, 16 * GB, "test", 0), null))
                .contains("14.0 GB mapped + ").contains("but 16.0 GB is available").contains("use a smaller model");
        // a KV cache larger than the weights: the option that sets the context is named
        MemoryPlan longContext = MemoryPlan.int8Streamed(c, new MemoryPlan.Run(2048, 512, 256, "--max-context"), HeadPrecision.INT8);
        assertThat(longContext.verdict(new MemoryPlan.Budget(64 * GB, 0, 8 * GB, "test", 0), null)).endsWith("; lower --max-context");
        // calibration windows
        MemoryPlan windows = MemoryPlan.layerwise(c, 4096, 256, 0, 1, 1);
        assertThat(windows.verdict(new MemoryPlan.Budget(2 * GB, 0, 64 * GB, "test", 0), null)).contains("lower --calib-windows");
    }

    @Test
    void sizesAndMeminfo() {
        assertThat(MemoryPlan.parseSize("8G")).isEqualTo(8 * GB);
        assertThat(MemoryPlan.parseSize("512M")).isEqualTo(512 * MB);
        assertThat(MemoryPlan.parseSize("1.5g")).isEqualTo(3 * GB / 2);
        assertThat(MemoryPlan.parseSize("2GiB")).isEqualTo(2 * GB);
        assertThat(MemoryPlan.parseSize("4096")).isEqualTo(4096);
        for (String bad : new String[]{"", "G", "-1G", "8X", "0", "1e3G", "99999999T"}) assertThat(MemoryPlan.parseSize(bad)).as(bad).isNull();
        String meminfo = "MemTotal:       24600000 kB\nMemFree:         1000000 kB\nMemAvailable:   12000000 kB\nBuffers: 10 kB\n";
        assertThat(MemoryPlan.memAvailable(meminfo)).isEqualTo(12_000_000L * 1024);
        assertThat(MemoryPlan.memAvailable("MemTotal: 5 kB\n")).isEqualTo(-1);
    }
}
