package sq.cli;

import picocli.CommandLine.Option;
import sq.eval.Windows;
import sq.model.LayerSource;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
import sq.quant.MoeCalibration;
import sq.quant.MoeSmoothing;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;

/** Calibration text and how much of it to use, shared by eval, quantize and calibrate. */
final class CalibrationOptions {
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text (UTF-8).")
    Path calib;

    @Option(names = "--calib-windows", defaultValue = "16", paramLabel = "N",
            description = "Calibration windows (default: ${DEFAULT-VALUE}).")
    int calibWindows;

    @Option(names = "--calib-skip", defaultValue = "0", paramLabel = "N",
            description = "Skip the first N windows of the calibration text (default: ${DEFAULT-VALUE}).")
    int calibSkip;

    @Option(names = "--calib-window", defaultValue = "256", paramLabel = "T",
            description = "Tokens per calibration window (default: ${DEFAULT-VALUE}).")
    int calibWindow;

    @Option(names = "--moe-smoothing", split = ",", paramLabel = "POLICY",
            description = {"Mixture-of-experts models: how the experts are smoothed. reference: one s for the router and every "
                    + "expert's gate/up, folded into the norm (SmoothQuant's Mixtral rule); attention: attention only "
                    + "(llm-compressor's rule); per-expert: each expert its own s from the tokens routed to it, 1/s applied "
                    + "as its input rows are gathered. The router stays fp32 and exact in all three.",
                    "eval: a list (default: all three); quantize and the int8 engine: one (default: reference; docs/MOE.md says why)."})
    java.util.List<String> moeSmoothing;

    /** The --moe-smoothing policies: all three by default where several may be compared, else the one default. */
    java.util.List<MoeSmoothing.Policy> moePolicies(boolean several) {
        if (moeSmoothing == null) return several ? MoeSmoothing.ALL : java.util.List.of(MoeSmoothing.DEFAULT);
        java.util.List<MoeSmoothing.Policy> p = moeSmoothing.stream().map(MoeSmoothing.Policy::parse).distinct().toList();
        if (!several && p.size() != 1) throw new sq.io.InputException("--moe-smoothing takes one policy here, got " + moeSmoothing);
        return p;
    }

    /** The single policy of quantize and the int8 engine. */
    MoeSmoothing.Policy moePolicy() {
        return moePolicies(false).getFirst();
    }

    boolean given() {
        return calib != null;
    }

    /** The calibration windows; --calib is required by the commands that call this. */
    Windows windows(Tokenizer tokenizer) {
        if (calib == null) throw new sq.io.InputException("--calib FILE is required (calibration text)");
        if (calibSkip < 0) throw new sq.io.InputException("--calib-skip must be >= 0");
        return Windows.of(tokenizer.encode(TextFiles.read(calib)), calibWindow, calibSkip, calibWindows, calib.toString());
    }

    static ActivationStats calibrate(LayerSource model, Windows w) {
        ActivationStats stats;
        try (Progress p = new Progress("calibrate", (long) w.count() * model.config().layers())) {
            stats = Calibrator.calibrate(model, w, p::stepTo);
        }
        // experts see only the tokens routed to them: their counts, and the rule for those that saw too few
        if (model.config().block().moe() != null) MoeCalibration.report(model.load(), stats).forEach(l -> System.err.println("sq: " + l));
        return stats;
    }
}
