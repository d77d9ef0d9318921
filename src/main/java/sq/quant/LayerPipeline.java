package sq.quant;

import sq.eval.Windows;
import sq.model.Embedding;
import sq.model.Layer;
import sq.model.LayerCache;
import sq.model.LayerSource;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;
import sq.model.Transformer;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * SmoothQuant one decoder layer at a time (like llm-compressor's sequential pipeline): every calibration window's
 * hidden states [T, hidden] go through layer i, which is calibrated, smoothed (and, for static schemes, run again
 * smoothed on the smoothed model's hidden states for its static scales) and handed to a {@link Sink}, before layer
 * i + 1 is read from the source. Memory: one layer in fp32 and its smoothed copy, windows x T x hidden activations
 * (twice for static schemes), the embeddings only while the windows are embedded. Same numbers as the whole-model
 * path ({@link SmoothQuant#quantize}) bit for bit: each window sees exactly what a whole forward pass gives it.
 * Dense models with a fixed alpha; mixture-of-experts models and alpha auto take the whole-model path.
 */
public final class LayerPipeline {
    /** What the export needs beyond the tensors: alphas and factors by norm name, calibration of fp32 and smoothed. */
    public record Result(Scheme scheme, ActivationStats stats, ActivationStats smoothedStats, Map<String, Float> alphas,
                         Map<String, float[]> factors) {
    }

    /** Receives the model in file order: front, each smoothed decoder layer, back. */
    public interface Sink {
        void front(Embedding embed, float[] positions, NormWeights embedNorm, Linear projectIn, Linear projectOut) throws IOException;

        /** @param smoothedStats calibration of the smoothed model so far (static input scales) */
        void layer(int i, Layer smoothed, Map<String, float[]> factors, ActivationStats smoothedStats) throws IOException;

        /** lmHead: null when tied to the embeddings. */
        void back(NormWeights finalNorm, Linear lmHead) throws IOException;
    }

    private LayerPipeline() {
    }

    /** Whether this model and alpha stream (else: {@link SmoothQuant#quantize} on the whole model). */
    public static boolean streams(ModelConfig cfg, Float alpha) {
        return cfg.block().moe() == null && alpha != null;
    }

    /** progress gets the (layer, window) steps done, of layers x windows (x 2 for static schemes). */
    public static Result run(LayerSource source, Windows calib, float alpha, Scheme scheme, Sink sink, IntConsumer progress) throws IOException {
        ModelConfig cfg = source.config();
        if (!streams(cfg, alpha)) throw new IllegalArgumentException("mixture-of-experts models take the whole-model path");
        boolean isStatic = scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC;
        int n = calib.count(), lanes = isStatic ? 2 : 1;
        Embedding embed = source.embed();
        float[] positions = source.positions();
        NormWeights embedNorm = source.embedNorm();
        Linear projectIn = source.projectIn();
        float[][] hidden = Calibrator.embedWindows(cfg, embed, positions, embedNorm, projectIn, calib);
        sink.front(embed, positions, embedNorm, projectIn, source.projectOut());
        embed = null; // dropped: only the current layer is held from here on
        float[][] smoothedHidden = isStatic ? deepCopy(hidden) : null;
        Lane fp32 = new Lane(cfg, calib), smoothedLane = isStatic ? new Lane(cfg, calib) : null;
        Map<String, float[]> factors = new LinkedHashMap<>();
        Map<String, Float> alphas = new LinkedHashMap<>();
        for (int l = 0; l < cfg.layers(); l++) {
            int done = l * n * lanes;
            Layer layer = source.layer(l);
            fp32.advance(l, layer, hidden, i -> progress.accept(done + i));
            Layer smoothed = Smoother.smoothLayer(cfg, l, layer, fp32.calibrator.stats(), g -> alpha, factors, alphas);
            layer = null;
            if (isStatic) smoothedLane.advance(l, smoothed, smoothedHidden, i -> progress.accept(done + n + i));
            sink.layer(l, smoothed, factors, (isStatic ? smoothedLane : fp32).calibrator.stats());
        }
        sink.back(source.finalNorm(), cfg.tiedEmbeddings() ? null : source.lmHead(null));
        ActivationStats stats = fp32.calibrator.stats();
        return new Result(scheme, stats, isStatic ? smoothedLane.calibrator.stats() : stats, alphas, factors);
    }

    private static float[][] deepCopy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    /** Windows' hidden states advancing through the layers, observed by a calibrator. */
    private static final class Lane {
        final Calibrator calibrator;
        final Transformer tf;
        final LayerCache cache;
        final Windows windows;

        Lane(ModelConfig cfg, Windows windows) {
            this.windows = windows;
            this.calibrator = Calibrator.forModel(cfg);
            this.tf = new Transformer(new Model(cfg, null, null, List.of(), null, null));
            tf.setObserver(calibrator);
            this.cache = LayerCache.create(cfg, windows.length(), false);
        }

        void advance(int l, Layer layer, float[][] hidden, IntConsumer progress) {
            Calibrator.advance(tf, calibrator, cache, l, layer, hidden, windows, progress);
        }
    }
}
