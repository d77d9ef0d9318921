package sq.quant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.model.KvCache;
import sq.model.Layer;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.SmoothingGroup;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.eval.Windows;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The extended groups (v_proj -> o_proj, up_proj -> down_proj) are identities on the fp32 model, grouped-query
 * attention included (stories260K: 8 query heads on 4 key/value heads), and leave the reference groups as they were.
 */
class ExtendedSmoothingTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tiny/llama", "tiny/qwen2", "tiny/opt"})
    void extendedGroupsAreAnIdentityAndKeepTheReferenceOnes(String name) {
        Model model = ModelLoader.load(Fixtures.bundled(name));
        Random rnd = new Random(1);
        int[] ids = new int[48];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(model.config().vocab());
        ActivationStats stats = Calibrator.calibrate(LayerSource.of(model), Windows.of(ids, 16, 0, 3, "random ids"), w -> { });
        Smoother.Result ref = Smoother.smooth(model, stats, 0.85f);
        Smoother.Result ext = Smoother.smooth(model, stats, g -> 0.85f, SmoothingGroup.Groups.EXTENDED);

        // the reference groups' factors unchanged, the extended ones added where the architecture has them
        ref.factors().forEach((k, s) -> assertThat(ext.factors().get(k)).as(k).containsExactly(s));
        boolean gated = model.layers().getFirst().gate != null;
        assertThat(ext.factors()).hasSize(ref.factors().size() + model.layers().size() * (gated ? 2 : 1));
        for (Layer l : model.layers()) {
            float[] s = ext.factors().get(l.v.name());
            int hd = model.config().headDim(), per = model.config().heads() / model.config().kvHeads();
            for (int j = 0; j < s.length; j++) { // o_proj columns of the query heads reading one row of V share its factor
                int h = j / hd, firstOfGroup = (h - h % per) * hd + j % hd;
                assertThat(s[j]).as("%s column %d", l.o.name(), j).isEqualTo(s[firstOfGroup]);
            }
        }

        float[] before = logits(model, ids), after = logits(ext.model(), ids);
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < before.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(before[i]));
            maxDiff = Math.max(maxDiff, Math.abs(before[i] - after[i]));
        }
        assertThat(maxDiff).as(name).isLessThanOrEqualTo(1e-4 * maxAbs);
    }

    private static float[] logits(Model m, int[] ids) {
        Transformer tf = new Transformer(m);
        KvCache c = tf.newCache(ids.length);
        return tf.forward(ids, c, true);
    }
}
