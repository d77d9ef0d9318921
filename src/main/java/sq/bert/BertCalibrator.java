package sq.bert;

import sq.quant.ActivationStats;
import sq.quant.Calibrator;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * Calibration of an encoder: runs sentences through it and records, for every encoder linear (by Hugging Face
 * name), the per-channel max|x| of its input as it enters the linear (after any smoothing multiplier), the
 * per-tensor max|x|, and for query/key/value (the attention BMM inputs) the max|y|.
 */
public final class BertCalibrator {
    private BertCalibrator() {
    }

    /** progress gets the number of sentences done. */
    public static ActivationStats calibrate(BertModel model, List<int[]> sentences, IntConsumer progress) {
        Calibrator c = new Calibrator(BertCalibrator::isBmmInput, "sentence");
        BertEncoder enc = new BertEncoder(model, Pooling.CLS);
        enc.setObserver(c);
        for (int i = 0; i < sentences.size(); i++) {
            c.at(i);
            enc.hidden(sentences.get(i));
            progress.accept(i + 1);
        }
        return c.stats();
    }

    static boolean isBmmInput(String name) {
        return name.endsWith(BertModel.Q) || name.endsWith(BertModel.K) || name.endsWith(BertModel.V);
    }
}
