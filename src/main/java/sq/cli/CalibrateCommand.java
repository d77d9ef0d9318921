package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Bench;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.model.LayerSource;
import sq.model.ModelLoader;
import sq.quant.ActivationStats;
import sq.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Runs calibration text through the model and saves per-linear activation statistics as safetensors:",
                "act_scales (per-channel max|x|) under each Hugging Face module name, static_input.NAME and static_output.NAME.",
                "Hugging Face folders are calibrated one decoder layer at a time straight from the memory-mapped files "
                        + "(BF16 embeddings looked up where they lie), so memory stays near one layer in fp32 plus the windows' hidden states."})
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

    @Mixin
    SparkOption spark;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        common.apply();
        AtomicOutput.checkNotInput(out, modelOptions.model, modelOptions.tokenizer, calibration.calib);
        AtomicOutput.checkTarget(out, force, false);
        ActivationStats stats = spark.given() ? sparkRun() : stats();
        AtomicOutput.writeFile(out, force, stats::save);
        System.err.printf("sq: wrote %s (%d linears); peak RSS %.2f GB%n", out, stats.entries().size(), Bench.peakRss() / 1e9);
        return 0;
    }

    private ActivationStats stats() throws Exception {
        ActivationStats stats;
        if (Files.isDirectory(modelOptions.model)) {
            try (Checkpoint ckpt = Checkpoint.open(modelOptions.model)) {
                // BF16 embeddings are looked up where they lie (the windows' rows widened on lookup), as quantize does
                ModelLoader source = new ModelLoader(ckpt).mapBf16Ends().checkTensors();
                MemoryGate.layerwise(source.config(), calibration, source.heapTableBytes(), 1, 1, modelOptions.model);
                Path tok = modelOptions.tokenizer != null ? modelOptions.tokenizer : modelOptions.model.resolve("tokenizer.json");
                stats = CalibrationOptions.calibrate(source, calibration.windows(Tokenizer.load(tok)));
            }
        } else {
            LoadedModel m = modelOptions.load();
            stats = CalibrationOptions.calibrate(LayerSource.of(m.model()), calibration.windows(m.tokenizer()));
        }
        return stats;
    }

    /** --spark: each partition calibrates its windows; act_scales and static maxima merged by elementwise max (exact). */
    private ActivationStats sparkRun() {
        String[] args = SparkOption.argsWithoutSpark(spec);
        long modelBytes = PplCommand.pathBytes(modelOptions.model);
        // one decoder layer (a layer-wise load holds no more) is bounded by the checkpoint; per window its hidden states
        return ActivationStats.merge(spark.run("sq calibrate", calibration.calibWindows, 2 * modelBytes,
                (long) calibration.calibWindow * 4 * 16_384, (from, to) -> windowsOf(args, from, to)));
    }

    /** On an executor: the statistics of calibration windows [from, to) of the command line args. */
    static ActivationStats windowsOf(String[] args, int from, int to) throws Exception {
        CalibrateCommand c = new CalibrateCommand();
        new picocli.CommandLine(c).parseArgs(args);
        c.common.quiet = true;
        c.calibration.calibSkip += from;
        c.calibration.calibWindows = to - from;
        return c.stats();
    }
}
