package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.export.CompressedTensorsWriter;
import sq.eval.Bench;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.model.ModelLoader;
import sq.quant.LayerPipeline;
import sq.tokenizer.Tokenizer;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.model.Transformer;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Calibrates, smooths and quantizes a model, and writes a compressed-tensors W8A8 folder (what vLLM loads).",
                "The input is never modified; the output folder appears only when complete, and the free disk space it needs is checked first.",
                "Hugging Face folders of dense models with a fixed --alpha stream one decoder layer at a time from the memory-mapped files "
                        + "(calibrated, smoothed, quantized, written, released), so memory stays near one layer in fp32 plus the windows' "
                        + "activations and the embeddings: an 8B model quantizes in about 3 GB. Mixture-of-experts models, --alpha auto, --text "
                        + "and llama2.c files load the whole model in fp32."})
final class QuantizeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CalibrationOptions calibration;
    @Mixin
    CommonOptions common;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A|auto",
            description = "Migration strength in [0, 1], or auto for a per-group search (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--scheme", defaultValue = "w8a8", description = "O1, O2, O3 or w8a8 (default: ${DEFAULT-VALUE}); see ./sq schemes.")
    String scheme;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Output folder (new or empty).")
    Path out;

    @Option(names = "--force", description = "Replace a non-empty output folder.")
    boolean force;

    @Option(names = "--text", paramLabel = "FILE", description = "Also measure perplexity before and after on this text (recorded in the README).")
    Path text;

    @Option(names = "--windows", defaultValue = "40", description = "Evaluation windows for --text (default: ${DEFAULT-VALUE}).")
    int windows;

    @Option(names = "--whole-model", hidden = true,
            description = "Developers: load the whole model in fp32 instead of streaming it layer by layer (to compare).")
    boolean wholeModel;

    @Override
    public Integer call() throws Exception {
        common.apply();
        Float a = AlphaSpec.single(alpha);
        Scheme s = Scheme.parse(scheme);
        AtomicOutput.checkNotInput(out, modelOptions.model, modelOptions.tokenizer, calibration.calib, text);
        AtomicOutput.checkTarget(out, force, true);
        if (!wholeModel && text == null && Files.isDirectory(modelOptions.model)) {
            try (Checkpoint ckpt = Checkpoint.open(modelOptions.model)) {
                if (ModelLoader.quantization(ckpt) != null)
                    throw InputException.of(modelOptions.model, "this checkpoint is already quantized (compressed-tensors); give the fp32 model it was made from");
                ModelLoader source = new ModelLoader(ckpt).mapBf16Ends().checkTensors();
                if (LayerPipeline.streams(source.config(), a)) return streamed(source, a, s);
            }
        }
        LoadedModel m = modelOptions.load().requireFloat();
        Windows calib = calibration.windows(m.tokenizer());
        ActivationStats stats = CalibrationOptions.calibrate(LayerSource.of(m.model()), calib);
        if (!common.quiet) System.err.println("sq: smoothing (alpha " + (a == null ? "auto" : a) + ") and quantizing (" + s.name() + ")");
        SmoothQuant.Result r = SmoothQuant.quantize(m.model(), stats, calib, a, s, calibration.moePolicy());
        Double before = null, after = null;
        if (text != null) {
            Windows eval = Windows.of(m.tokenizer().encode(TextFiles.read(text)), 256, 0, windows, text.toString());
            try (Progress p = new Progress("ppl fp32 and W8A8", 2L * windows)) {
                before = Perplexity.evaluate(new Transformer(m.model()), eval, p::stepTo).ppl();
                after = Perplexity.evaluate(new Transformer(r.quantized()), eval, w -> p.stepTo(windows + w)).ppl();
            }
            System.out.printf("perplexity %.4f (fp32) -> %.4f (SmoothQuant %s, simulated)%n", before, after, s.name());
        }
        Path source = Files.isDirectory(m.path()) ? m.path() : null;
        CompressedTensorsWriter.requireSpace(m.model().config(), source, out);
        var provenance = provenance(before, after);
        AtomicOutput.writeDir(out, force, dir -> CompressedTensorsWriter.write(r, source, provenance, dir));
        System.err.printf("sq: wrote %s; peak RSS %.2f GB%n", out, Bench.peakRss() / 1e9);
        return 0;
    }

    /**
     * One decoder layer at a time from the memory-mapped checkpoint: calibrated, smoothed, quantized and written to the
     * output before the next is read (peak memory about one layer in fp32 plus the windows' activations).
     */
    private int streamed(ModelLoader source, float a, Scheme s) throws Exception {
        var cfg = source.config();
        int lanes = s.activations() == sq.quant.ActivationGranularity.PER_TENSOR_STATIC ? 2 : 1; // static: a smoothed lane too
        MemoryGate.layerwise(cfg, calibration, source.heapTableBytes(), 2, lanes, modelOptions.model); // a layer and its smoothed copy
        Path tok = modelOptions.tokenizer != null ? modelOptions.tokenizer : modelOptions.model.resolve("tokenizer.json");
        if (!Files.exists(tok)) throw InputException.of(tok, "tokenizer not found for model " + modelOptions.model + " (use --tokenizer)");
        Windows calib = calibration.windows(Tokenizer.load(tok));
        CompressedTensorsWriter.requireSpace(cfg, modelOptions.model, out);
        if (!common.quiet) System.err.println("sq: calibrating, smoothing (alpha " + a + ") and quantizing (" + s.name() + ") one layer at a time");
        var provenance = provenance(null, null);
        AtomicOutput.writeDir(out, force, dir -> {
            CompressedTensorsWriter w = CompressedTensorsWriter.open(cfg, s, modelOptions.model, dir);
            LayerPipeline.Result r;
            try (Progress p = new Progress("quantize", (long) calib.count() * cfg.layers() * lanes)) {
                r = LayerPipeline.run(source, calib, a, s, w, p::stepTo);
            }
            w.finish(r, provenance);
        });
        System.err.printf("sq: wrote %s; peak RSS %.2f GB%n", out, Bench.peakRss() / 1e9);
        return 0;
    }

    private CompressedTensorsWriter.Provenance provenance(Double before, Double after) {
        return new CompressedTensorsWriter.Provenance(modelOptions.model.getFileName().toString(),
                calibration.calib.getFileName() + ", windows " + calibration.calibSkip + ".." + (calibration.calibSkip + calibration.calibWindows - 1)
                        + " of " + calibration.calibWindow + " tokens", calibration.calibWindows * calibration.calibWindow,
                before, after, text == null ? null : text.getFileName().toString());
    }
}
