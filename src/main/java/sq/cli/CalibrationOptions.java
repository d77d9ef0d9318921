package sq.cli;

import picocli.CommandLine.Option;
import sq.eval.Windows;
import sq.model.LayerSource;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
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
        try (Progress p = new Progress("calibrate", (long) w.count() * model.config().layers())) {
            return Calibrator.calibrate(model, w, p::stepTo);
        }
    }
}
