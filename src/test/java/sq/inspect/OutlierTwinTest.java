package sq.inspect;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.eval.Windows;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
import sq.quant.Scheme;
import sq.quant.Smoother;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fixtures' outlier twin of llama-8m (hidden channels 31, 78, 150 of input_layernorm x32 and of
 * post_attention_layernorm x16, the matching weight columns divided): the report finds exactly those channels, and
 * smoothing flattens them (the paper's Figure 2).
 */
class OutlierTwinTest {
    private static final int[] CHANNELS = {31, 78, 150};

    @TempDir
    Path tmp;

    @Test
    void findsTheInjectedChannelsAndSmoothingFlattensThem() throws Exception {
        Path dir = Fixtures.shared("trained/llama-8m");
        Model twin = OutlierTwin.of(ModelLoader.load(dir), CHANNELS, 32, 16).model();
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        String text = new String(Files.readAllBytes(Fixtures.bundled("text/calib.txt")), StandardCharsets.UTF_8);
        Windows calib = Windows.of(tok.encode(text.substring(0, 20_000)), 256, 0, 2, "calib.txt");
        ActivationStats stats = Calibrator.calibrate(twin, calib, i -> { });

        OutlierReport report = OutlierReport.of(stats);
        for (int l = 0; l < 8; l++) {
            for (String input : List.of("self_attn.q_proj", "mlp.gate_proj")) {
                OutlierReport.Entry e = report.get("model.layers." + l + "." + input);
                assertThat(e.top().subList(0, 3).stream().map(OutlierReport.Channel::channel).collect(Collectors.toSet()))
                        .as(e.module()).isEqualTo(Set.of(31, 78, 150));
                assertThat(e.outliers()).as(e.module()).isEqualTo(3);
                assertThat(e.ratio()).as(e.module()).isGreaterThan(10);
                assertThat(e.effectiveBits()).as(e.module()).isLessThan(4.5);
            }
            assertThat(report.get("model.layers." + l + ".self_attn.o_proj").outliers()).isZero();
        }

        // Figure 2: the captured inputs of layer 3 before and after smoothing with alpha 0.5
        Smoother.Result smoothed = Inspector.smooth(twin, stats, calib, 0.5f, Scheme.parse("w8a8"));
        List<Inspector.GroupView> groups = Inspector.capture(twin, smoothed, List.of(3), calib.window(0), ProgressSink.NONE);
        assertThat(groups).hasSize(2);
        for (Inspector.GroupView g : groups) {
            HeatMaps.Summary before = HeatMaps.Summary.of(g.xBefore(), g.tokens(), g.in());
            HeatMaps.Summary after = HeatMaps.Summary.of(g.xAfter(), g.tokens(), g.in());
            assertThat(before.argmax()).as(g.key()).isIn(31, 78, 150);
            assertThat(before.ratio()).as(g.key()).isGreaterThan(10);
            assertThat(after.ratio()).as(g.key()).isLessThan(3);
            assertThat(after.effectiveBits()).as(g.key()).isGreaterThan(6.5);
            // alpha 0.5 balances the two maxima: max_j act_j / s_j = max_j max|W[:, j]| s_j
            HeatMaps.Summary w = HeatMaps.Summary.of(g.wAfter(), java.util.Arrays.stream(g.outs()).sum(), g.in());
            float[] act = stats.channelMax(g.group().linears().getFirst());
            double xMax = 0;
            for (int j = 0; j < act.length; j++) xMax = Math.max(xMax, act[j] / g.s()[j]);
            assertThat((double) w.max()).as(g.key()).isCloseTo(xMax, org.assertj.core.data.Offset.offset(1e-4 * xMax));
            assertThat((double) after.max()).as(g.key()).isLessThanOrEqualTo(xMax * (1 + 1e-5));
        }

        // and the whole output folder for layer 3
        Inspector.Request req = new Inspector.Request("llama-8m twin", twin, stats, calib, "calib.txt windows 0..1", List.of(3), 0.5f,
                Scheme.parse("w8a8"), 0, null, "skipped");
        Inspector.Result r = Inspector.write(req, tmp, ProgressSink.NONE);
        assertThat(r.figures()).hasSize(9);
        assertThat(Files.readString(tmp.resolve("index.html"))).containsPattern("3 outlier channels \\(ch (31|78|150), (31|78|150), (31|78|150)\\)");
    }
}
