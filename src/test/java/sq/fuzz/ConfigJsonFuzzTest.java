package sq.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.io.Checkpoint;
import sq.quant.HeadPrecision;
import sq.quant.MemoryPlan;
import sq.io.SafetensorsWriter;
import sq.model.ModelConfig;
import sq.model.ModelLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * config.json (Architectures / Llama / Qwen2 / Qwen3 / OPT parsing and the size checks) including a
 * compressed-tensors quantization_config (CompressedTensorsConfig), then the memory estimates for every engine and
 * ModelLoader's tensor check against a one-tensor checkpoint (which must fail cleanly, naming the missing tensor).
 */
class ConfigJsonFuzzTest {
    private static FuzzHarness h;
    private static Path dir, config;

    @BeforeAll
    static void setUp() throws IOException {
        h = FuzzHarness.start("config-json");
        dir = Files.createDirectories(h.file("model"));
        new SafetensorsWriter().add("model.embed_tokens.weight", new float[8 * 4], 8, 4).write(dir.resolve(Checkpoint.SINGLE));
        config = dir.resolve("config.json");
        h.warmUp(ConfigJsonFuzzTest.class, ConfigJsonFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    @DictionaryEntries({"\"architectures\"", "\"LlamaForCausalLM\"", "\"Qwen2ForCausalLM\"", "\"Qwen3ForCausalLM\"",
            "\"OPTForCausalLM\"", "\"MistralForCausalLM\"", "\"hidden_size\"", "\"num_attention_heads\"", "\"num_key_value_heads\"",
            "\"num_hidden_layers\"", "\"intermediate_size\"", "\"vocab_size\"", "\"head_dim\"", "\"max_position_embeddings\"",
            "\"rms_norm_eps\"", "\"rope_theta\"", "\"rope_scaling\"", "\"rope_parameters\"", "\"rope_type\"", "\"default\"",
            "\"tie_word_embeddings\"", "\"hidden_act\"", "\"silu\"", "\"ffn_dim\"", "\"word_embed_proj_dim\"",
            "\"do_layer_norm_before\"", "\"activation_function\"", "\"relu\"", "\"sliding_window\"", "\"use_sliding_window\"",
            "\"quantization_config\"", "\"quant_method\"", "\"compressed-tensors\"", "\"format\"", "\"int-quantized\"",
            "\"config_groups\"", "\"targets\"", "\"weights\"", "\"input_activations\"", "\"num_bits\"", "\"type\"",
            "\"int\"", "\"symmetric\"", "\"strategy\"", "\"group_size\"", "\"dynamic\"", "\"channel\"", "\"tensor\"",
            "\"group\"", "\"token\"", "\"ignore\"", "2147483647", "65536", "1e400", "-1", "null", "true", "false"})
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        List<String> names = List.of(dir.toString());
        boolean[] valid = {false};
        h.run(data, config, names, () -> {
            try (Checkpoint c = Checkpoint.open(dir)) {
                ModelConfig cfg = ModelLoader.readConfig(c);
                for (MemoryPlan p : List.of(MemoryPlan.fp32(cfg, MemoryPlan.Run.DEFAULT), MemoryPlan.int8Checkpoint(cfg, MemoryPlan.Run.DEFAULT, true),
                        MemoryPlan.int8Streamed(cfg, MemoryPlan.Run.DEFAULT, HeadPrecision.INT8), MemoryPlan.fp32Mapped(cfg, MemoryPlan.Run.DEFAULT, n -> true),
                        MemoryPlan.layerwise(cfg, 16, 256, 0, 2, 2)))
                    if (p.total() <= 0 || p.mapped() < 0) throw new AssertionError("non-positive memory plan for " + cfg + ": " + p);
                valid[0] = true;
            }
        });
        // a valid config meets a checkpoint that lacks its tensors: the check must name the first missing one
        if (valid[0]) h.run(data, names, () -> {
            try (Checkpoint c = Checkpoint.open(dir)) {
                new ModelLoader(c).load();
            }
        });
    }
}
