package sq.bert;

import sq.io.InputException;
import sq.model.Linear;
import sq.model.LinearObserver;
import sq.quant.ActivationStats;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Calibration of an encoder: runs sentences through it and records, for every encoder linear (by Hugging Face
 * name), the per-channel max|x| of its input as it enters the linear (after any smoothing multiplier), the
 * per-tensor max|x|, and for query/key/value (the attention BMM inputs) the max|y|.
 */
public final class BertCalibrator implements LinearObserver {
    private final Map<String, float[]> channelMax = new LinkedHashMap<>();
    private final Map<String, Float> outputMax = new HashMap<>();
    private int sentence;

    private BertCalibrator() {
    }

    /** progress gets the number of sentences done. */
    public static ActivationStats calibrate(BertModel model, List<int[]> sentences, IntConsumer progress) {
        BertCalibrator c = new BertCalibrator();
        BertEncoder enc = new BertEncoder(model, Pooling.CLS);
        enc.setObserver(c);
        for (int i = 0; i < sentences.size(); i++) {
            c.sentence = i;
            enc.hidden(sentences.get(i));
            progress.accept(i + 1);
        }
        Map<String, ActivationStats.Entry> entries = new LinkedHashMap<>();
        c.channelMax.forEach((name, ch) -> {
            float m = 0;
            for (float v : ch) m = Math.max(m, v);
            entries.put(name, new ActivationStats.Entry(ch, m, c.outputMax.getOrDefault(name, Float.NaN)));
        });
        return new ActivationStats(entries);
    }

    static boolean isBmmInput(String name) {
        return name.endsWith(BertModel.Q) || name.endsWith(BertModel.K) || name.endsWith(BertModel.V);
    }

    @Override
    public void observe(Linear linear, float[] x, float[] y, int tokens) {
        int in = linear.in();
        float[] ch = channelMax.computeIfAbsent(linear.name(), k -> new float[in]);
        for (int t = 0; t < tokens; t++) {
            int base = t * in;
            for (int j = 0; j < in; j++) {
                float v = x[base + j];
                if (!Float.isFinite(v)) throw nonFinite(linear, "input", t, j, v);
                ch[j] = Math.max(ch[j], Math.abs(v));
            }
        }
        if (isBmmInput(linear.name())) {
            float m = outputMax.getOrDefault(linear.name(), 0f);
            for (int i = 0; i < tokens * linear.out(); i++) {
                if (!Float.isFinite(y[i])) throw nonFinite(linear, "output", i / linear.out(), i % linear.out(), y[i]);
                m = Math.max(m, Math.abs(y[i]));
            }
            outputMax.put(linear.name(), m);
        }
    }

    private InputException nonFinite(Linear linear, String where, int token, int channel, float v) {
        return new InputException("calibration stopped: " + v + " in the " + where + " of " + linear.name() + " at sentence "
                + sentence + ", token " + token + ", channel " + channel + " (the model produces non-finite activations)");
    }
}
