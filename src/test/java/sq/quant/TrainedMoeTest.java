package sq.quant;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.eval.Windows;
import sq.inspect.OutlierTwin;
import sq.io.SafetensorsFile;
import sq.io.TensorSlice;
import sq.model.Layer;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Moe;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * models/mixtral-4m (trained by tools/train_moe.py) and its outlier twin against the goldens transformers computed
 * from the saved files: fp32 logits within 1e-4 * max|golden|, and the per-expert calibration (act_scales of the
 * router over all tokens, of each expert's gate/up and down inputs over the tokens routed to it, token counts per
 * expert) on calib.txt windows 0..15. The trained router never sends a calibration token to some experts: those are
 * named, and the fallback rule gives them the router's statistics.
 */
class TrainedMoeTest {
    static final Path DIR = Path.of("models/mixtral-4m");
    static final int[] TWIN_CHANNELS = {31, 78, 110};
    static Model model;
    static ActivationStats stats;

    @BeforeAll
    static void calibrate() throws Exception {
        model = ModelLoader.load(DIR);
        Windows calib = GoldenTables.windows(Tokenizer.load(DIR.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, 16);
        stats = Calibrator.calibrate(model, calib, done -> { });
    }

    static Model twin() {
        return OutlierTwin.of(model, TWIN_CHANNELS, 32f, 16f).model();
    }

    @Test
    void fp32LogitsMatchTransformers() throws Exception {
        check(model, "logits");
    }

    @Test
    void twinLogitsMatchTransformers() throws Exception {
        check(twin(), "twin_logits");
    }

    private static void check(Model m, String key) throws Exception {
        try (SafetensorsFile g = SafetensorsFile.open(DIR.resolve("golden/logits.safetensors"))) {
            int[] ids = g.get("input_ids").toInts();
            TensorSlice gl = g.get(key);
            float[] want = gl.toFloats();
            float[] got = SmoothingGoldenTest.logits(m, ids);
            double d = 0, maxAbs = 0;
            for (int i = 0; i < want.length; i++) {
                d = Math.max(d, Math.abs(got[i] - want[i]));
                maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            }
            System.out.printf("mixtral-4m %s: max|diff| %.3g, max|golden| %.3g%n", key, d, maxAbs);
            assertThat(d).as(key).isLessThanOrEqualTo(1e-4 * maxAbs);
        }
    }

    @Test
    void perExpertCalibrationMatchesTransformers() throws Exception {
        check(stats, "");
        Windows calib = GoldenTables.windows(Tokenizer.load(DIR.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, 16);
        check(Calibrator.calibrate(twin(), calib, done -> { }), "twin.");
    }

    private static void check(ActivationStats s, String prefix) throws Exception {
        try (SafetensorsFile g = SafetensorsFile.open(DIR.resolve("golden/act_scales.safetensors"))) {
            double worst = 0;
            int compared = 0;
            for (TensorSlice t : g.tensors().values()) {
                String name = t.name();
                if (!name.startsWith(prefix) || (prefix.isEmpty() && name.startsWith("twin."))) continue;
                String key = name.substring(prefix.length());
                if (key.startsWith("tokens.")) {
                    long[] want = t.toLongs();
                    String mixture = key.substring("tokens.".length()) + ".experts.";
                    for (int e = 0; e < want.length; e++)
                        assertThat(s.tokens(mixture + e + ".w1")).as(prefix + mixture + e).isEqualTo(want[e]);
                    continue;
                }
                if (s.tokens(key) == 0) continue; // an expert no token reached: the golden has no entry either
                worst = Math.max(worst, ZooSmoothQuantTest.relDiff(s.channelMax(key), t.toFloats()));
                compared++;
            }
            System.out.printf("mixtral-4m %sact_scales: %d compared, worst rel diff %.2g%n", prefix, compared, worst);
            assertThat(compared).isGreaterThan(4 * (4 + 1 + 8));
            assertThat(worst).isLessThanOrEqualTo(1e-5);
        }
    }

    /** Experts the trained router never picks on calib.txt: named in the report, and given the router's statistics. */
    @Test
    void expertsNoCalibrationTokenReachesFallBackToTheRouter() {
        List<String> report = MoeCalibration.report(model, stats);
        report.forEach(l -> System.out.println("mixtral-4m: " + l));
        assertThat(report).contains("layer 1 expert 1 saw 0 calibration tokens (< 8): its gate/up take the router's act_scales (all tokens),"
                + " its down the layer's widest expert range");
        ActivationStats f = MoeCalibration.withFallbacks(model, stats);
        Moe m = model.layers().get(1).moe;
        assertThat(f.channelMax(m.gate[1].name())).containsExactly(stats.channelMax(m.router.name()));
        for (float v : f.channelMax(m.down[1].name())) assertThat(v).isPositive();
        for (MoeSmoothing.Policy p : MoeSmoothing.Policy.values()) {
            Model q = FakeQuantizer.quantize(MoeSmoothing.smooth(model, f, 0.5f, p).model(), Scheme.parse("O3"), f);
            for (float v : SmoothingGoldenTest.logits(q, new int[]{1, 2, 3})) assertThat(v).as(p.cliName()).isFinite();
        }
        for (Layer l : model.layers()) assertThat(l.moe.experts()).isEqualTo(8);
    }
}
