package sq.quant;

import sq.eval.Windows;
import sq.io.InputException;
import sq.model.KvCache;
import sq.model.Linear;
import sq.model.LinearObserver;
import sq.model.Transformer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Calibration: run windows of text through the fp32 engine and record, for every decoder-layer linear, the running
 * max|x_j| per input channel, the max|x| over the whole input, and for the BMM-feeding linears (q, k, v) max|y|.
 * A NaN or Inf stops it with the layer and token named.
 */
public final class Calibrator implements LinearObserver {
    private final Set<String> outputObserved;
    private final Map<String, float[]> channelMax = new LinkedHashMap<>();
    private final Map<String, Float> outputMax = new HashMap<>();
    private int window;

    private Calibrator(Set<String> outputObserved) {
        this.outputObserved = outputObserved;
    }

    /** progress gets the number of windows done. */
    public static ActivationStats calibrate(Transformer model, Windows windows, IntConsumer progress) {
        Set<String> bmmInputs = new java.util.HashSet<>();
        for (int l = 0; l < model.config().layers(); l++) {
            var n = model.config().architecture().layer(l);
            bmmInputs.add(n.q());
            bmmInputs.add(n.k());
            bmmInputs.add(n.v());
        }
        Calibrator c = new Calibrator(bmmInputs);
        KvCache cache = model.newCache(windows.length());
        model.setObserver(c);
        try {
            for (int w = 0; w < windows.count(); w++) {
                c.window = windows.first() + w;
                cache.clear();
                model.forward(windows.window(w), cache, false);
                progress.accept(w + 1);
            }
        } finally {
            model.setObserver(null);
        }
        Map<String, ActivationStats.Entry> entries = new LinkedHashMap<>();
        c.channelMax.forEach((name, ch) -> entries.put(name,
                new ActivationStats.Entry(ch, ActivationStats.max(ch), c.outputMax.getOrDefault(name, Float.NaN))));
        return new ActivationStats(entries);
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
        if (outputObserved.contains(linear.name())) {
            float m = outputMax.getOrDefault(linear.name(), 0f);
            int out = linear.out();
            for (int i = 0; i < tokens * out; i++) {
                float v = y[i];
                if (!Float.isFinite(v)) throw nonFinite(linear, "output", i / out, i % out, v);
                m = Math.max(m, Math.abs(v));
            }
            outputMax.put(linear.name(), m);
        }
    }

    private InputException nonFinite(Linear linear, String where, int token, int channel, float v) {
        return new InputException("calibration stopped: " + v + " in the " + where + " of " + linear.name() + " at window "
                + window + ", token " + token + ", channel " + channel + " (the model or its weights produce non-finite activations)");
    }
}
