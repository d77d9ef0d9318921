package sq.bert;

import org.junit.jupiter.api.Test;
import sq.model.DenseLinear;
import sq.model.NormWeights;
import sq.quant.ActivationStats;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoothing a post-LN encoder must not change what it computes: the smoothed FP32 MiniLM gives the same
 * embeddings as the original (cosine within 1e-5), for the paper's LayerNorm groups and for all groups. The naive
 * fold (1/s into the LayerNorm's weight and bias, which also feed the residual) does not.
 */
class BertSmoothingTest {

    @Test
    void smoothingKeepsTheFunction() {
        BertFixtures.Loaded m = BertFixtures.minilm();
        List<int[]> calib = BertFixtures.sentences(m.tokenizer(), 128, 300, 32);
        List<int[]> eval = BertFixtures.sentences(m.tokenizer(), 128, 0, 24);
        ActivationStats stats = BertCalibrator.calibrate(m.model(), calib, i -> { });
        BertEncoder fp32 = m.encoder();
        List<float[]> ref = eval.stream().map(fp32::embed).toList();
        for (var groups : List.of(BertSmoothing.Group.PAPER, BertSmoothing.Group.ALL)) {
            for (float alpha : new float[]{0.5f, 0.85f}) {
                BertSmoothing.Result r = BertSmoothing.smooth(m.model(), stats, groups, alpha);
                assertThat(r.factors()).hasSize(6 * groups.size());
                // the factors do something: channel 99 (the FFN-input outlier) is scaled down hard
                float[] s = r.factors().get("encoder.layer.0.attention.output.LayerNorm");
                if (s != null) assertThat(s[99]).isGreaterThan(2f);
                BertEncoder smoothed = new BertEncoder(r.model(), m.files().pooling());
                double min = 1;
                for (int i = 0; i < eval.size(); i++) min = Math.min(min, EmbeddingMetrics.cosine(ref.get(i), smoothed.embed(eval.get(i))));
                assertThat(1 - min).as("groups %s alpha %s", groups, alpha).isLessThan(1e-5);
            }
        }
    }

    @Test
    void foldingIntoThePostLnLayerNormBreaksTheResidual() {
        BertFixtures.Loaded m = BertFixtures.minilm();
        List<int[]> calib = BertFixtures.sentences(m.tokenizer(), 128, 300, 16);
        List<int[]> eval = BertFixtures.sentences(m.tokenizer(), 128, 0, 8);
        ActivationStats stats = BertCalibrator.calibrate(m.model(), calib, i -> { });
        BertSmoothing.Result r = BertSmoothing.smooth(m.model(), stats, BertSmoothing.Group.PAPER, 0.85f);
        // What a pre-LN recipe would do: fold 1/s into the attention-output LayerNorm (it feeds fc1 and the residual)
        List<BertLayer> folded = new ArrayList<>();
        for (int l = 0; l < r.model().layers().size(); l++) {
            BertLayer x = r.model().layers().get(l);
            float[] s = r.factors().get(BertSmoothing.groupName(l, BertSmoothing.Group.FC1));
            NormWeights n = x.attnNorm;
            float[] w = n.weight().clone(), b = n.bias().clone();
            for (int j = 0; j < s.length; j++) {
                w[j] /= s[j];
                b[j] /= s[j];
            }
            BertLayer y = new BertLayer(x.q, x.k, x.v, x.o, new NormWeights(n.name(), w, b), x.fc1, x.fc2, x.outNorm);
            y.qkvSmooth = x.qkvSmooth;
            folded.add(y);
        }
        BertEncoder ok = new BertEncoder(m.model(), m.files().pooling());
        BertEncoder broken = new BertEncoder(m.model().withLayers(folded), m.files().pooling());
        double mean = 0;
        for (int[] ids : eval) mean += EmbeddingMetrics.cosine(ok.embed(ids), broken.embed(ids)) / eval.size();
        assertThat(mean).isLessThan(0.9);
        assertThat(((DenseLinear) r.model().layers().getFirst().fc1).weight()).isNotEqualTo(((DenseLinear) m.model().layers().getFirst().fc1).weight());
    }
}
