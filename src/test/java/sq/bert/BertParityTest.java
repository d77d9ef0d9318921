package sq.bert;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * FP32 parity with ONNX Runtime on the same .onnx file: sentence embeddings (the models' pooling, L2-normalized)
 * agree to cosine >= 0.99999 on 200 WikiText-2 lines (195 of at most 128 tokens and 5 long ones, truncated to the
 * model's maximum), for all-MiniLM-L6-v2 (mean pooling) and bge-small-en-v1.5 (CLS pooling).
 */
class BertParityTest {

    @Test
    void miniLmMatchesOnnxRuntime() {
        parity(BertFixtures.minilm());
    }

    @Test
    void bgeSmallMatchesOnnxRuntime() {
        parity(BertFixtures.bge());
    }

    private static void parity(BertFixtures.Loaded m) {
        List<int[]> sentences = new ArrayList<>(BertFixtures.sentences(m.tokenizer(), 128, 0, 195));
        int longOnes = 0;
        for (String line : BertFixtures.lines()) {
            if (longOnes == 5) break;
            int[] ids = m.tokenizer().encodeForModel(line);
            if (ids.length >= Math.min(m.tokenizer().maxLength(), 300)) {
                sentences.add(ids);
                longOnes++;
            }
        }
        assertThat(sentences).hasSize(200);
        BertEncoder ours = m.encoder();
        double min = 1;
        try (OrtRunner ort = new OrtRunner(m.files().onnx(), 2)) {
            for (int[] ids : sentences) {
                double c = EmbeddingMetrics.cosine(ours.embed(ids), ort.embed(ids, m.files().pooling()));
                min = Math.min(min, c);
            }
            // the hidden states themselves, on the longest sequence
            int[] longest = sentences.getLast();
            float[] a = ours.hidden(longest), b = ort.hidden(longest);
            double maxDiff = 0;
            for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            assertThat(maxDiff).as("max |hidden difference| over %d tokens", longest.length).isLessThan(1e-3);
        }
        assertThat(min).as("minimum cosine over 200 sentences").isGreaterThanOrEqualTo(0.99999);
    }
}
