package sq.eval;

import org.junit.jupiter.api.Test;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.SyntheticModels;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decode bound of a mixture counts the ACTIVE weights: per layer attention, router and top-k of the experts, not all
 * of them (sizes of models/mixtral-4m in fp32, counted by hand from its config); the parameter count (memory estimates) counts every
 * expert; the olmoe-1b-7b shape parses as the issue gives it.
 */
class BenchActiveWeightsTest {
    @Test
    void activeWeightsOfAMixture() {
        Model m = ModelLoader.load(Path.of("models/mixtral-4m"));
        long H = 128, I = 192, E = 8, K = 2, V = 4096, layers = 4;
        long attention = H * H + 2 * (H * 64) + H * H, router = E * H, expert = 3 * H * I;
        assertThat(Bench.weightBytes(m)).isEqualTo(4 * (V * H + layers * (attention + router + K * expert)));
        assertThat(Bench.allWeightBytes(m)).isEqualTo(4 * (V * H + layers * (attention + router + E * expert)));
        // transformers counted 3,609,728 parameters when it trained the model (models/mixtral-4m/train_output.txt)
        assertThat(m.config().parameterCount()).isEqualTo(3_609_728L);
    }

    @Test
    void olmoeShape() {
        var c = SyntheticModels.config("olmoe-1b-7b");
        assertThat(c.hidden()).isEqualTo(2048);
        assertThat(c.layers()).isEqualTo(16);
        assertThat(c.vocab()).isEqualTo(50304);
        var moe = c.block().moe();
        assertThat(moe.experts()).isEqualTo(64);
        assertThat(moe.topK()).isEqualTo(8);
        assertThat(moe.intermediate()).isEqualTo(1024);
        assertThat(moe.normTopK()).isFalse();
    }
}
