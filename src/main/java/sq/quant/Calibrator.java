package sq.quant;

import sq.eval.Windows;
import sq.io.InputException;
import sq.model.Layer;
import sq.model.LayerCache;
import sq.model.LayerSource;
import sq.model.Linear;
import sq.model.LinearObserver;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.Transformer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.IntConsumer;

/**
 * Calibration: run windows of text through the fp32 engine and record, for every decoder-layer linear, the running
 * max|x_j| per input channel, the max|x| over the whole input, and for the BMM-feeding linears (q, k, v) max|y| and
 * max|y_i| per output channel (before RoPE: where the simulated int8 BMM inputs are quantized, {@link FakeQuantLinear}).
 * A NaN or Inf stops it with the layer and token named.
 */
public final class Calibrator implements LinearObserver {
    private final Predicate<String> outputObserved;
    private final String unit;
    private final Map<String, float[]> channelMax = new LinkedHashMap<>();
    private final Map<String, Float> outputMax = new HashMap<>();
    private final Map<String, float[]> outputChannelMax = new HashMap<>();
    private final Map<String, Long> tokenCounts = new HashMap<>(); // rows seen per linear (an expert sees only its own)
    private int window;

    /**
     * An observer for any model that reports its linears (decoders here, encoders in sq.bert).
     *
     * @param outputObserved which linears' outputs to track (the attention BMM inputs)
     * @param unit           what a sample is called in error messages ("window", "sentence")
     */
    public Calibrator(Predicate<String> outputObserved, String unit) {
        this.outputObserved = outputObserved;
        this.unit = unit;
    }

    /** The index of the sample now running, for error messages. */
    public void at(int sample) {
        this.window = sample;
    }

    /** What was observed so far. */
    public ActivationStats stats() {
        Map<String, ActivationStats.Entry> entries = new LinkedHashMap<>();
        channelMax.forEach((name, ch) -> entries.put(name,
                new ActivationStats.Entry(ch, ActivationStats.max(ch), outputMax.getOrDefault(name, Float.NaN), outputChannelMax.get(name))));
        return new ActivationStats(entries, tokenCounts);
    }

    /** Calibrates a model in memory; progress gets the number of (layer, window) steps done, of layers x windows. */
    public static ActivationStats calibrate(Model model, Windows windows, IntConsumer progress) {
        return calibrate(LayerSource.of(model), windows, progress);
    }

    /**
     * Layer by layer: all windows go through layer 0, then layer 1, ..., so only one decoder layer is materialized
     * at a time (from a memory-mapped checkpoint, say) plus the hidden states of the windows. Each window still sees
     * exactly what a whole forward pass from an empty cache would give it.
     */
    public static ActivationStats calibrate(LayerSource source, Windows windows, IntConsumer progress) {
        ModelConfig cfg = source.config();
        int n = windows.count();
        float[][] hidden = embedWindows(cfg, source.embed(), source.positions(), source.embedNorm(), source.projectIn(), windows);
        // without the embedding table from here on: only the current layer is held
        Transformer tf = new Transformer(new Model(cfg, null, null, List.of(), null, null));
        Calibrator c = forModel(cfg);
        tf.setObserver(c);
        LayerCache cache = LayerCache.create(cfg, windows.length(), false);
        for (int l = 0; l < cfg.layers(); l++) {
            int done = l * n;
            advance(tf, c, cache, l, source.layer(l), hidden, windows, w -> progress.accept(done + w));
        }
        return c.stats();
    }

    /** The windows embedded: [window][T * hidden], the input of decoder layer 0. */
    static float[][] embedWindows(ModelConfig cfg, sq.model.Embedding embed, float[] positions, sq.model.NormWeights embedNorm,
                                  Linear projectIn, Windows windows) {
        float[][] hidden = new float[windows.count()][];
        Transformer embedder = new Transformer(new Model(cfg, embed, positions, List.of(), null, null, embedNorm, projectIn, null));
        for (int w = 0; w < hidden.length; w++) hidden[w] = embedder.embed(windows.window(w), 0);
        return hidden;
    }

    /** A calibrator of a decoder model: outputs observed for the linears that feed the attention BMMs. */
    static Calibrator forModel(ModelConfig cfg) {
        Set<String> bmmInputs = new HashSet<>();
        for (int l = 0; l < cfg.layers(); l++) bmmInputs.addAll(cfg.architecture().layer(l).bmmInputs());
        return new Calibrator(bmmInputs::contains, "window");
    }

    /** Every window's hidden states through decoder layer l (in place), observed by c; progress gets the windows done. */
    static void advance(Transformer tf, Calibrator c, LayerCache cache, int l, Layer layer, float[][] hidden, Windows windows, IntConsumer progress) {
        for (int w = 0; w < hidden.length; w++) {
            c.at(windows.first() + w);
            tf.runLayer(l, layer, hidden[w], windows.length(), cache, 0);
            progress.accept(w + 1);
        }
    }

    @Override
    public void observe(Linear linear, float[] x, float[] y, int tokens) {
        int in = linear.in();
        float[] ch = channelMax.computeIfAbsent(linear.name(), k -> new float[in]);
        tokenCounts.merge(linear.name(), (long) tokens, Long::sum);
        for (int t = 0; t < tokens; t++) {
            int base = t * in;
            for (int j = 0; j < in; j++) {
                float v = x[base + j];
                if (!Float.isFinite(v)) throw nonFinite(linear, "input", t, j, v);
                ch[j] = Math.max(ch[j], Math.abs(v));
            }
        }
        if (outputObserved.test(linear.name())) {
            float m = outputMax.getOrDefault(linear.name(), 0f);
            int out = linear.out();
            float[] och = outputChannelMax.computeIfAbsent(linear.name(), k -> new float[out]);
            for (int t = 0; t < tokens; t++)
                for (int i = 0; i < out; i++) {
                    float v = y[t * out + i];
                    if (!Float.isFinite(v)) throw nonFinite(linear, "output", t, i, v);
                    m = Math.max(m, Math.abs(v));
                    och[i] = Math.max(och[i], Math.abs(v));
                }
            outputMax.put(linear.name(), m);
        }
    }

    private InputException nonFinite(Linear linear, String where, int token, int channel, float v) {
        return new InputException("calibration stopped: " + v + " in the " + where + " of " + linear.name() + " at " + unit + " "
                + window + ", token " + token + ", channel " + channel + " (the model or its weights produce non-finite activations)");
    }
}
