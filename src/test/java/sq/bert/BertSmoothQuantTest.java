package sq.bert;

import org.junit.jupiter.api.Test;
import sq.quant.ActivationStats;
import sq.quant.Scheme;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SmoothQuant W8A8 (per-channel weights, per-token activations) on MiniLM, on the int8 engine, against naive W8A8
 * and against the int8 model langchain4j ships (all-minilm-l6-v2-q) run by ONNX Runtime: SmoothQuant must beat both
 * on mean and minimum cosine and on top-10 neighbour overlap. (120 sentences here; ./sq embed-eval reports 500.)
 */
class BertSmoothQuantTest {

    @Test
    void smoothQuantBeatsNaiveAndTheShippedInt8Model() {
        BertFixtures.Loaded m = BertFixtures.minilm();
        List<int[]> eval = BertFixtures.sentences(m.tokenizer(), 128, 0, 120);
        List<int[]> calib = BertFixtures.sentences(m.tokenizer(), 128, 500, 128);
        Scheme w8a8 = Scheme.parse("w8a8");
        ActivationStats stats = BertCalibrator.calibrate(m.model(), calib, i -> { });
        List<float[]> ref = EmbedEval.embedAll(m.encoder()::embed, eval);

        BertModel naive = BertQuantizer.quantize(m.model(), w8a8, stats, BertQuantizer.Engine.INT8);
        BertQuantizer.Result sq = BertQuantizer.smoothQuant(m.model(), stats, calib, 0.85f, w8a8, BertSmoothing.Group.PAPER, 2048);
        BertModel sqInt8 = BertQuantizer.quantize(sq.smoothed(), w8a8, sq.smoothedStats(), BertQuantizer.Engine.INT8);
        EmbeddingMetrics.Summary naiveS = EmbeddingMetrics.compare(ref, EmbedEval.embedAll(new BertEncoder(naive, Pooling.MEAN)::embed, eval));
        List<float[]> sqEmb = EmbedEval.embedAll(new BertEncoder(sqInt8, Pooling.MEAN)::embed, eval);
        EmbeddingMetrics.Summary sqS = EmbeddingMetrics.compare(ref, sqEmb);

        EmbeddingMetrics.Summary ortQ;
        try (OrtRunner fp = new OrtRunner(m.files().onnx(), 2);
             OrtRunner q = new OrtRunner(BertModels.known(BertModels.Known.MINILM_Q).onnx(), 2)) {
            ortQ = EmbeddingMetrics.compare(EmbedEval.embedAll(ids -> fp.embed(ids, Pooling.MEAN), eval),
                    EmbedEval.embedAll(ids -> q.embed(ids, Pooling.MEAN), eval));
        }
        String report = "naive " + naiveS + "\nsmoothquant " + sqS + "\nort-q " + ortQ;
        System.out.println(report);
        assertThat(sqS.meanCos()).as(report).isGreaterThan(naiveS.meanCos()).isGreaterThan(ortQ.meanCos()).isGreaterThan(0.998);
        assertThat(sqS.minCos()).as(report).isGreaterThan(naiveS.minCos()).isGreaterThan(ortQ.minCos()).isGreaterThan(0.993);
        assertThat(sqS.top10()).as(report).isGreaterThan(ortQ.top10());
        assertThat(sqS.top10()).as(report).isGreaterThanOrEqualTo(naiveS.top10());

        // the int8 engine computes what the simulation simulates, up to float rounding (which can move a value across a
        // rounding boundary of a later quantizer, so the two differ by a fraction of the quantization noise itself)
        List<float[]> fake = EmbedEval.embedAll(new BertEncoder(sq.quantized(), Pooling.MEAN)::embed, eval);
        EmbeddingMetrics.Summary fakeS = EmbeddingMetrics.compare(ref, fake);
        assertThat(Math.abs(fakeS.meanCos() - sqS.meanCos())).as(report + "\nfake " + fakeS).isLessThan(3e-4);
        assertThat(EmbeddingMetrics.compare(fake, sqEmb).meanCos()).isGreaterThan(0.9995);
    }
}
