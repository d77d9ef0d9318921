package sq.cli;

import picocli.CommandLine.Option;
import sq.eval.Windows;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.Transformer;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Int8Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;

/**
 * --engine and, for the int8 engine, how to quantize on load: --scheme, and with --calib also SmoothQuant
 * smoothing (--alpha) and static scales; --head for the embeddings and lm_head (int8 by default, quantized
 * checkpoints included). Without --calib the int8 engine runs naive W8A8 (dynamic schemes only).
 */
final class EngineOptions {
    enum Engine { fp32, int8 }

    @Option(names = "--engine", paramLabel = "fp32|int8",
            description = "fp32, or int8 (real W8A8: int8 weights, int8 activations, int8 attention BMMs where the scheme "
                    + "quantizes them). Default: fp32 (int8 for quantized checkpoints).")
    Engine engine;

    @Option(names = "--scheme", defaultValue = "w8a8", description = "int8 engine scheme: O1, O2, O3, w8a8 (default: ${DEFAULT-VALUE}).")
    String scheme;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A|auto",
            description = "SmoothQuant migration strength when --calib is given (default: ${DEFAULT-VALUE}).")
    String alpha;

    @picocli.CommandLine.Mixin
    CalibrationOptions calib;

    @picocli.CommandLine.Mixin
    HeadOption head;

    boolean int8() {
        return engine == Engine.int8;
    }

    /** The model to run: as loaded (fp32), or quantized to real int8 as the options say. */
    Transformer prepare(LoadedModel m, boolean quiet) {
        if (m.quantized()) {
            if (engine == Engine.fp32) throw new InputException(m.path() + ": this checkpoint is int8 (compressed-tensors); it runs on --engine int8");
            if (calib.given()) throw new InputException(m.path() + ": this checkpoint is already quantized; --calib does not apply");
            HeadPrecision h = head.precision();
            if (!quiet) System.err.println("sq: int8 engine (quantized checkpoint), head " + h.id);
            Transformer tf = new Transformer(m.int8Ends(h), true); // the float ends loaded are dropped
            HeapTrim.afterInt8Build();
            return tf;
        }
        if (!int8()) {
            if (calib.given()) throw new InputException("--calib only applies to --engine int8");
            head.requireUnsetFor("fp32");
            return new Transformer(m.fp32Engine()); // bf16 linears stay in the mapped file
        }
        Scheme s = Scheme.parse(scheme);
        HeadPrecision h = head.precision();
        MemoryGate.head(h);
        Model q;
        if (!calib.given()) {
            if (!quiet) System.err.println("sq: int8 engine, naive W8A8 " + s.name() + " (no --calib: no smoothing), head " + h.id);
            q = m.streamed(src -> Int8Models.streamNaive(src, s, h)); // layer by layer from the checkpoint
        } else {
            Float a = AlphaSpec.single(alpha);
            Windows w = calib.windows(m.tokenizer());
            ActivationStats stats = CalibrationOptions.calibrate(LayerSource.of(m.model()), w);
            SmoothQuant.Result r = SmoothQuant.quantize(m.model(), stats, w, a, s, calib.moePolicy());
            if (!quiet) System.err.println("sq: int8 engine, SmoothQuant alpha " + alpha + " " + s.name() + ", head " + h.id);
            q = Int8Quantizer.quantize(r.smoothed(), s, r.smoothedStats(), h);
        }
        HeapTrim.afterInt8Build();
        return new Transformer(q, s.bmm());
    }
}
