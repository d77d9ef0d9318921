package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.io.AtomicOutput;
import sq.quant.ActivationStats;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Runs calibration text through the model and saves per-linear activation statistics as safetensors:",
                "act_scales (per-channel max|x|) under each Hugging Face module name, static_input.NAME and static_output.NAME."})
final class CalibrateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CalibrationOptions calibration;
    @Mixin
    CommonOptions common;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Output .safetensors file.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing output file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        common.apply();
        LoadedModel m = modelOptions.load();
        ActivationStats stats = CalibrationOptions.calibrate(m.transformer(), calibration.windows(m.tokenizer()));
        AtomicOutput.writeFile(out, force, stats::save);
        System.err.println("sq: wrote " + out + " (" + stats.entries().size() + " linears)");
        return 0;
    }
}
