package sq.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.eval.Windows;
import sq.io.InputException;
import sq.model.DenseLinear;
import sq.model.KvCache;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.model.SmoothingGroup;
import sq.model.Transformer;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SmoothAttention is an identity of the fp32 model (grouped-query attention, full and partial RoPE, q/k biases), its
 * factor is shared where it must be (the query heads of a kv head, the two channels of a RoPE pair), and layers where
 * the fold would not be an identity are left alone with the reason.
 */
class SmoothAttentionTest {

    /** lambda by hand: head_dim 4, RoPE pairs (0, 2) and (1, 3), two query heads per kv head, alpha 0.5. */
    @Test
    void factorTakesTheMaxOverQueryHeadsAndRopePairs() {
        float[] k = {4, 1, 9, 16};
        float[] q = {1, 1, 1, 1, /* second query head */ 1, 4, 1, 1};
        // k over pairs: 9, 16, 9, 16; q over heads then pairs: 1, 4, 1, 4
        assertThat(SmoothAttention.factors(q, k, 0.5f, 4, 2, 4)).containsExactly(3, 2, 3, 2);
        // partial rotary (the first 2 dims of 4 rotate: pair (0, 1): k 4, q 4), channels 2 and 3 on their own
        assertThat(SmoothAttention.factors(q, k, 0.5f, 4, 2, 2)).containsExactly(1, 1, 3, 4);
        // no RoPE (ALiBi, NoPE layers): every channel its own; alpha 1 is K's max alone
        assertThat(SmoothAttention.factors(q, k, 1f, 4, 2, 0)).containsExactly(4, 1, 9, 16);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bundled:stories260K", "bundled:tiny/qwen2", "zoo:llama3", "zoo:phi2", "zoo:smollm3"})
    void foldIsAnIdentityWithSharedFactors(String name) {
        Model model = ModelLoader.load(fixture(name));
        ModelConfig cfg = model.config();
        int[] ids = ids(model, 48);
        ActivationStats stats = Calibrator.calibrate(LayerSource.of(model), Windows.of(ids, 16, 0, 3, "random ids"), w -> { });
        // on top of SmoothQuant's extended groups, as the demo folds it (the groups scale q/k's inputs, this their outputs)
        Model smoothed = Smoother.smooth(model, stats, g -> 0.85f, SmoothingGroup.Groups.EXTENDED).model();
        SmoothAttention.Result r = SmoothAttention.smooth(smoothed, stats, 0.5f);
        assertThat(r.skipped()).isEmpty();
        assertThat(r.factors()).hasSize(cfg.layers());

        int hd = cfg.headDim(), per = cfg.heads() / cfg.kvHeads();
        double max = 0, min = Double.MAX_VALUE;
        for (int l = 0; l < cfg.layers(); l++) {
            var n = cfg.architecture().layer(l);
            float[] lambda = r.factors().get(n.k());
            assertThat(lambda).hasSize(cfg.kvHeads() * hd);
            int half = cfg.block().ropeAt(l) ? cfg.block().rotaryDim() / 2 : 0;
            for (int j = 0; j < lambda.length; j++) {
                if (j % hd < half) assertThat(lambda[j + half]).as("%s pair of %d", n.k(), j).isEqualTo(lambda[j]);
                max = Math.max(max, lambda[j]);
                min = Math.min(min, lambda[j]);
            }
            // k_proj's rows divided by lambda, q_proj's rows (of every query head of the kv head) multiplied by it
            rowFactors(smoothed, r.model(), l, n.k(), (row, f) -> assertThat(f).as("%s row %d", n.k(), row).isCloseTo(1 / lambda[row], rel()));
            rowFactors(smoothed, r.model(), l, n.q(), (row, f) -> assertThat(f).as("%s row %d", n.q(), row)
                    .isCloseTo(lambda[(row / (hd * per)) * hd + row % hd], rel()));
        }
        assertThat(max / min).as("factors that do something").isGreaterThan(1.5);

        float[] before = logits(smoothed, ids), after = logits(r.model(), ids);
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < before.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(before[i]));
            maxDiff = Math.max(maxDiff, Math.abs(before[i] - after[i]));
        }
        System.out.printf("%s: SmoothAttention fold max|diff| / max|logit| = %.2e%n", name, maxDiff / maxAbs);
        assertThat(maxDiff).as(name).isLessThanOrEqualTo(1e-5 * maxAbs);
    }

    /** q/k norms (Gemma 3) and fused q/k/v (Phi-3) keep their layers as they were, each with its reason. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3:q/k norms", "phi3:fused q/k/v"})
    void layersWhereTheFoldIsNoIdentityAreLeftAlone(String spec) {
        String name = spec.substring(0, spec.indexOf(':')), reason = spec.substring(spec.indexOf(':') + 1);
        Model model = ModelLoader.load(Fixtures.shared("zoo/" + name));
        int[] ids = ids(model, 32);
        ActivationStats stats = Calibrator.calibrate(LayerSource.of(model), Windows.of(ids, 16, 0, 2, "random ids"), w -> { });
        SmoothAttention.Result r = SmoothAttention.smooth(model, stats, 0.5f);
        assertThat(r.factors()).isEmpty();
        assertThat(r.skipped()).hasSize(model.config().layers()).allSatisfy((k, why) -> assertThat(why).contains(reason));
        for (int l = 0; l < model.layers().size(); l++) assertThat(r.model().layers().get(l)).isSameAs(model.layers().get(l));
    }

    /** Statistics saved by an older calibrate (no per-channel output maxima) are refused, naming the linear. */
    @Test
    void statisticsWithoutOutputChannelsAreRefused() {
        Model model = ModelLoader.load(Fixtures.bundled("stories260K"));
        ActivationStats stats = Calibrator.calibrate(LayerSource.of(model), Windows.of(ids(model, 16), 16, 0, 1, "ids"), w -> { });
        Map<String, ActivationStats.Entry> old = new java.util.LinkedHashMap<>();
        stats.entries().forEach((k, e) -> old.put(k, new ActivationStats.Entry(e.channelMax(), e.inputMax(), e.outputMax())));
        assertThatThrownBy(() -> SmoothAttention.smooth(model, new ActivationStats(old), 0.5f)).isInstanceOf(InputException.class)
                .hasMessageContaining("model.layers.0.self_attn.q_proj").hasMessageContaining("per-channel output max");
    }

    private static Path fixture(String name) {
        String rel = name.substring(name.indexOf(':') + 1);
        return name.startsWith("zoo:") ? Fixtures.shared("zoo/" + rel) : Fixtures.bundled(rel);
    }

    private static int[] ids(Model model, int n) {
        Random rnd = new Random(1);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(model.config().vocab());
        return ids;
    }

    private static org.assertj.core.data.Percentage rel() {
        return org.assertj.core.data.Percentage.withPercentage(1e-4);
    }

    /** For each row of the linear, after[row, c] / before[row, c] at its largest |before| entry. */
    private static void rowFactors(Model before, Model after, int layer, String name, java.util.function.BiConsumer<Integer, Float> check) {
        DenseLinear a = (DenseLinear) before.layers().get(layer).linear(name), b = (DenseLinear) after.layers().get(layer).linear(name);
        for (int r = 0; r < a.out(); r++) {
            int best = 0;
            for (int c = 0; c < a.in(); c++) if (Math.abs(a.weight()[r * a.in() + c]) > Math.abs(a.weight()[r * a.in() + best])) best = c;
            check.accept(r, b.weight()[r * a.in() + best] / a.weight()[r * a.in() + best]);
        }
    }

    private static float[] logits(Model m, int[] ids) {
        Transformer tf = new Transformer(m);
        KvCache c = tf.newCache(ids.length);
        return tf.forward(ids, c, true);
    }
}
