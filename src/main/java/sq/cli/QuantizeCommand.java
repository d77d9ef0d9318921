package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.export.CompressedTensorsWriter;
import sq.io.AtomicOutput;
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
                "The input is never modified; the output folder appears only when complete."})
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

    @Override
    public Integer call() throws Exception {
        common.apply();
        Float a = AlphaSpec.single(alpha);
        Scheme s = Scheme.parse(scheme);
        AtomicOutput.checkNotInput(out, modelOptions.model, modelOptions.tokenizer, calibration.calib, text);
        AtomicOutput.checkTarget(out, force, true);
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
        var provenance = new CompressedTensorsWriter.Provenance(m.path().getFileName().toString(),
                calibration.calib.getFileName() + ", windows " + calibration.calibSkip + ".." + (calibration.calibSkip + calibration.calibWindows - 1)
                        + " of " + calibration.calibWindow + " tokens", calibration.calibWindows * calibration.calibWindow,
                before, after, text == null ? null : text.getFileName().toString());
        AtomicOutput.writeDir(out, force, dir -> CompressedTensorsWriter.write(r, source, provenance, dir));
        System.err.println("sq: wrote " + out);
        return 0;
    }
}
