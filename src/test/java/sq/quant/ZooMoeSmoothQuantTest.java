package sq.quant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sq.eval.Windows;
import sq.io.SafetensorsFile;
import sq.io.TensorSlice;
import sq.model.Layer;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Moe;
import sq.model.ZooMoeLogitsTest;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SmoothQuant on the zoo's MoE fixtures: act_scales of transformers' nn.Linear modules (attention, Qwen2-MoE's shared
 * expert and its gate) and the attention group's smoothing factor against the goldens; per-expert token counts (every
 * token reaches top-k experts); each of the three policies leaves the fp32 logits unchanged; and a calibration set
 * that starves experts gets the fallback rule, named.
 */
class ZooMoeSmoothQuantTest {
    static List<String> moe() {
        return ZooMoeLogitsTest.MOE;
    }

    @ParameterizedTest
    @MethodSource("moe")
    void calibrationAndPoliciesMatchTransformers(String name) throws Exception {
        Path dir = Fixtures.shared("zoo/" + name);
        Model model = ModelLoader.load(dir);
        Windows calib = ZooSmoothQuantTest.calibration(dir);
        try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            ActivationStats stats = Calibrator.calibrate(model, calib, done -> { });
            double worstAct = 0;
            int compared = 0;
            for (TensorSlice t : g.tensors().values()) {
                if (!t.name().startsWith("act_scales.")) continue;
                worstAct = Math.max(worstAct, ZooSmoothQuantTest.relDiff(stats.channelMax(t.name().substring("act_scales.".length())), t.toFloats()));
                compared++;
            }
            assertThat(compared).isGreaterThanOrEqualTo(8);
            assertThat(worstAct).as(name + " act_scales").isLessThanOrEqualTo(1e-5);

            int K = model.config().block().moe().topK(), windowTokens = calib.count() * calib.length();
            for (Layer l : model.layers()) {
                Moe m = l.moe;
                assertThat(stats.tokens(m.router.name())).isEqualTo(windowTokens);
                long routed = 0;
                for (int e = 0; e < m.experts(); e++) {
                    assertThat(stats.tokens(m.up[e].name())).isEqualTo(stats.tokens(m.gate[e].name()));
                    assertThat(stats.tokens(m.down[e].name())).isEqualTo(stats.tokens(m.gate[e].name()));
                    routed += stats.tokens(m.gate[e].name());
                }
                assertThat(routed).as(name + ": each token reaches top-k experts").isEqualTo((long) K * windowTokens);
            }
            MoeCalibration.report(model, stats).forEach(s -> System.out.println(name + ": " + s));

            int[] ids = g.get("input_ids").toInts();
            float[] want = g.get("logits").toFloats();
            double maxAbs = 0;
            for (float v : want) maxAbs = Math.max(maxAbs, Math.abs(v));
            StringBuilder line = new StringBuilder(name + ":");
            for (MoeSmoothing.Policy p : MoeSmoothing.Policy.values()) {
                Smoother.Result r = MoeSmoothing.smooth(model, stats, 0.5f, p);
                float[] s = r.factors().get("model.layers.0.input_layernorm");
                assertThat(ZooSmoothQuantTest.relDiff(s, g.get("smooth_s.model.layers.0.input_layernorm").toFloats()))
                        .as(name + " attention smoothing factor").isLessThanOrEqualTo(1e-5);
                int expected = switch (p) {
                    case ATTENTION -> 2;
                    case REFERENCE -> 4;
                    case PER_EXPERT -> 2 + 2 * (model.config().block().moe().experts() + (model.layers().getFirst().moe.sharedGateProj != null ? 1 : 0));
                };
                assertThat(r.factors()).as(name + " " + p + " factors").hasSize(expected);
                float[] got = SmoothingGoldenTest.logits(r.model(), ids);
                double d = 0;
                for (int i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
                line.append(String.format(" %s smoothed max|diff| %.2g of max;", p.cliName(), d / maxAbs));
                assertThat(d).as(name + " " + p + " smoothed logits").isLessThanOrEqualTo(1e-4 * maxAbs);
            }
            System.out.println(line + String.format(" act_scales rel %.2g", worstAct));
        }
    }

    /** Two calibration tokens cannot reach every expert well: each starved one is named, and static scales still come. */
    @ParameterizedTest
    @MethodSource("moe")
    void starvedExpertsFallBackToTheStatedRule(String name) throws Exception {
        Path dir = Fixtures.shared("zoo/" + name);
        Model model = ModelLoader.load(dir);
        Windows full = ZooSmoothQuantTest.calibration(dir);
        Windows tiny = Windows.of(Arrays.copyOf(full.window(0), 2), 2, 0, 1, "two tokens");
        ActivationStats stats = Calibrator.calibrate(model, tiny, done -> { });
        List<String> report = MoeCalibration.report(model, stats);
        int experts = model.config().block().moe().experts();
        assertThat(report.stream().filter(s -> s.contains("calibration tokens (< ")).count())
                .as(name + ": every expert saw at most 2 tokens").isEqualTo((long) experts * model.layers().size());
        assertThat(report).anyMatch(s -> s.contains("saw 0 calibration tokens") || experts <= 2 * 2);
        for (MoeSmoothing.Policy p : MoeSmoothing.Policy.values()) {
            Smoother.Result r = MoeSmoothing.smooth(model, stats, 0.5f, p);
            Model q = FakeQuantizer.quantize(r.model(), Scheme.parse("O3"), stats);
            float[] logits = SmoothingGoldenTest.logits(q, tiny.window(0));
            for (float v : logits) assertThat(v).isFinite();
        }
    }
}
