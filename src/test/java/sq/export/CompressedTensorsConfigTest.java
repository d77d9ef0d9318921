package sq.export;

import org.junit.jupiter.api.Test;
import sq.io.CompressedTensorsConfig;
import sq.io.InputException;
import sq.io.Json;
import sq.quant.Scheme;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What CompressedTensorsWriter writes, CompressedTensorsConfig reads back; broken blocks name their key. */
class CompressedTensorsConfigTest {
    private static final Path FILE = Path.of("config.json");

    @Test
    void everyPresetRoundTrips() {
        for (Scheme s : Scheme.PRESETS.values()) {
            CompressedTensorsConfig c = CompressedTensorsConfig.parse(CompressedTensorsWriter.quantizationConfig(s, java.util.List.of("lm_head")), FILE);
            assertThat(c.format()).isEqualTo("int-quantized");
            assertThat(c.ignore()).containsExactly("lm_head");
            assertThat(c.groups()).hasSize(1);
            CompressedTensorsConfig.Group g = c.groups().getFirst();
            assertThat(g.targets()).containsExactly("Linear");
            assertThat(g.weights().numBits()).isEqualTo(8);
            assertThat(g.weights().strategy()).isEqualTo(switch (s.weights()) {
                case PER_TENSOR -> "tensor";
                case PER_CHANNEL -> "channel";
                case PER_GROUP -> "group";
            });
            assertThat(g.inputActivations()).isNotNull();
            assertThat(c.describe()).startsWith("int-quantized, weights int8 ");
        }
        Scheme zq = Scheme.zeroQuant(128);
        CompressedTensorsConfig c = CompressedTensorsConfig.parse(CompressedTensorsWriter.quantizationConfig(zq, java.util.List.of("lm_head")), FILE);
        assertThat(c.groups().getFirst().weights().groupSize()).isEqualTo(128);
    }

    @Test
    void brokenBlocksNameTheirKey() throws Exception {
        var q = CompressedTensorsWriter.quantizationConfig(Scheme.parse("O1"), java.util.List.of("lm_head"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) q.get("config_groups").get("group_0").get("weights")).put("num_bits", "8");
        assertThatThrownBy(() -> CompressedTensorsConfig.parse(q, FILE)).isInstanceOf(InputException.class)
                .hasMessage("config.json: quantization_config.config_groups.group_0.weights.num_bits: expected an integer in 1..32, got \"8\"");
        assertThatThrownBy(() -> CompressedTensorsConfig.parse(Json.MAPPER.readTree("[]"), FILE)).isInstanceOf(InputException.class)
                .hasMessageContaining("quantization_config: expected an object");
    }
}
