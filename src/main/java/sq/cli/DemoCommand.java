package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sq.eval.EvalTable;
import sq.eval.Windows;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.Sampler;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.HeadPrecision;
import sq.quant.Int8Quantizer;
import sq.model.Transformer;
import sq.quant.Scheme;
import sq.quant.Smoother;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job on the bundled stories260K model (karpathy/llama2.c, MIT): calibrate on TinyStories text, "
                + "smooth (alpha 0.85), quantize, print FP32 vs naive W8A8 vs SmoothQuant perplexity for O1/O2/O3/w8a8 "
                + "and the baselines, then a greedy story from the fp32 and the SmoothQuant w8a8 model."})
final class DemoCommand implements Runnable {
    static final String PROMPT = "Once upon a time";
    static final float ALPHA = 0.85f;

    @Mixin
    CommonOptions common;

    @Override
    public void run() {
        common.apply();
        Path dir = home().resolve("models/stories260K");
        LoadedModel m = LoadedModel.load(dir, null);
        Path text = dir.resolve("tinystories-val-head.txt");
        int[] ids = m.tokenizer().encode(TextFiles.read(text));
        // the fixtures' protocol: evaluate on windows 0..39, calibrate on 100..115 of the same text
        Windows eval = Windows.of(ids, 256, 0, 40, text.toString());
        Windows calib = Windows.of(ids, 256, 100, 16, text.toString());

        System.out.println("== stories260K (" + m.model().config().parameterCount() + " parameters): calibration on 16 windows ==");
        ActivationStats stats = CalibrationOptions.calibrate(LayerSource.of(m.model()), calib);
        List<EvalTable.Row> rows = EvalCommand.runTable(m, stats, calib, eval, new EvalTable.Options(AlphaSpec.parse(String.valueOf(ALPHA)),
                Scheme.PRESETS.values().stream().toList(), true, 4096), common.quiet);
        System.out.println();
        System.out.println("== perplexity on TinyStories validation, 40 windows x 256 tokens (simulated W8A8) ==");
        EvalCommand.printTable(rows);

        System.out.println();
        System.out.println("== greedy story, fp32 ==");
        GenerateCommand.generate(m, m.transformer(), PROMPT, 56, new Sampler(0, 1, 0), true, true, !common.quiet);
        // the real int8 engine: int8 weights and activations, int8 attention BMMs and KV cache
        Scheme w8a8 = Scheme.parse("w8a8");
        Model int8 = Int8Quantizer.quantize(Smoother.smooth(m.model(), stats, ALPHA).model(), w8a8, stats, HeadPrecision.INT8);
        System.out.println("== greedy story, SmoothQuant alpha " + ALPHA + " w8a8 on the int8 engine ==");
        GenerateCommand.generate(m, new Transformer(int8, w8a8.bmm()), PROMPT, 56, new Sampler(0, 1, 0), true, true, !common.quiet);
    }

    /** The project folder: -Dsq.home from the launcher, else the working directory. */
    static Path home() {
        Path home = Path.of(System.getProperty("sq.home", "."));
        if (!Files.isDirectory(home.resolve("models/stories260K")))
            throw new InputException(home.toAbsolutePath() + ": bundled model models/stories260K not found (run ./sq from the project)");
        return home;
    }
}
