package sq.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Windows;
import sq.inspect.Inspector;
import sq.inspect.Sweep;
import sq.io.AtomicOutput;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.Scheme;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"See the outliers: writes PNG plots and one index.html into DIR: |X| and |W| before and after smoothing "
                + "for chosen layers (the paper's Figure 2), per-channel max|X| per layer, the alpha sweep (perplexity vs alpha "
                + "per scheme, with FP32), and the outlier report outliers.csv / outliers.json.",
                "The sweep is the expensive part: it uses few evaluation windows (--windows, default 8); "
                        + "--sweep-schemes picks presets, --sweep-from reuses ./sq eval --json output, --no-sweep skips it."})
final class InspectCommand implements Callable<Integer> {
    private static final Pattern PPL_LINE = Pattern.compile(" ppl \\d");

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    CalibrationOptions calibration;
    @Mixin
    CommonOptions common;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Output folder (new or empty).")
    Path out;

    @Option(names = "--force", description = "Replace a non-empty output folder.")
    boolean force;

    @Option(names = "--layers", paramLabel = "LIST",
            description = "Layers to draw (e.g. 0,3,7, or all; default: first, middle and last).")
    String layers;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A|auto",
            description = "Migration strength of the 'after' figures, or auto for the per-group search (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--scheme", defaultValue = "w8a8", paramLabel = "S",
            description = "Scheme the per-group search optimises for, with --alpha auto (default: ${DEFAULT-VALUE}).")
    String scheme;

    @Option(names = "--sample-window", defaultValue = "0", paramLabel = "I",
            description = "Which calibration window the |X| heat maps show, 0-based among --calib-windows (default: ${DEFAULT-VALUE}).")
    int sampleWindow;

    @Option(names = "--act-scales", paramLabel = "FILE",
            description = "Use saved calibration statistics (from ./sq calibrate) instead of calibrating.")
    Path actScales;

    @Option(names = "--sweep", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the alpha sweep (default: ${DEFAULT-VALUE}; --no-sweep skips it).")
    boolean sweep;

    @Option(names = "--sweep-from", paramLabel = "FILE",
            description = "Plot the sweep from the JSON of ./sq eval --json (e.g. with --alpha 0:1:0.1) instead of running one.")
    Path sweepFrom;

    @Option(names = "--sweep-alphas", defaultValue = "0:1:0.1", paramLabel = "SPEC",
            description = "Alphas of the sweep (default: ${DEFAULT-VALUE}).")
    String sweepAlphas;

    @Option(names = "--sweep-schemes", defaultValue = "O1,O2,O3,w8a8", split = ",", paramLabel = "LIST",
            description = "Schemes of the sweep (default: ${DEFAULT-VALUE}).")
    List<String> sweepSchemes;

    @Option(names = "--text", paramLabel = "FILE",
            description = "Evaluation text of the sweep (default: the calibration text, windows right after the calibration windows).")
    Path text;

    @Option(names = "--window", defaultValue = "256", description = "Tokens per evaluation window of the sweep (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--windows", defaultValue = "8", description = "Evaluation windows of the sweep (default: ${DEFAULT-VALUE}).")
    int windows;

    @Override
    public Integer call() throws Exception {
        common.apply();
        Float a = AlphaSpec.single(alpha);
        Scheme autoScheme = Scheme.parse(scheme);
        AlphaSpec sweepSpec = AlphaSpec.parse(sweepAlphas);
        List<Scheme> schemes = sweepSchemes.stream().map(Scheme::parse).toList();
        if (sweepFrom != null && !sweep) throw new InputException("give --sweep-from or --no-sweep, not both");
        refuseNonEmpty();
        AtomicOutput.checkNotInput(out, modelOptions.model, modelOptions.tokenizer, calibration.calib, actScales, text, sweepFrom);
        MemoryGate.expect(Math.max(window, calibration.calibWindow), Math.max(window, calibration.calibWindow), 1, "--window", false);
        LoadedModel m = modelOptions.load().requireFloat();
        List<Integer> chosen = Inspector.parseLayers(layers, m.model().config().layers());
        Windows calib = calibration.windows(m.tokenizer());
        if (sampleWindow < 0 || sampleWindow >= calib.count())
            throw new InputException("--sample-window " + sampleWindow + " is outside 0.." + (calib.count() - 1) + " (the calibration windows)");
        ActivationStats stats = actScales != null ? ActivationStats.load(actScales) : CalibrationOptions.calibrate(LayerSource.of(m.model()), calib);

        Sweep sw = null;
        String sweepNote = "skipped (--no-sweep)";
        if (sweepFrom != null) {
            sw = Sweep.fromEvalJson(sweepFrom);
        } else if (sweep) {
            Windows eval;
            String source;
            if (text != null) {
                eval = Windows.of(m.tokenizer().encode(TextFiles.read(text)), window, 0, windows, text.toString());
                source = windows + " windows of " + window + " tokens of " + text.getFileName() + " (windows 0.." + (windows - 1) + ")";
            } else {
                int[] stream = calib.stream();
                long used = (long) (calib.first() + calib.count()) * calib.length();
                int first = (int) ((used + window - 1) / window);
                eval = Windows.of(stream, window, first, windows, calibration.calib + " (after the calibration windows; give --text or --no-sweep)");
                source = windows + " windows of " + window + " tokens of " + calibration.calib.getFileName() + " (windows " + first + ".."
                        + (first + windows - 1) + ", right after the calibration windows)";
            }
            sw = runSweep(m, stats, calib, eval, sweepSpec, schemes, source);
        }
        String calibLabel = calibration.calib.getFileName() + ", windows " + calib.first() + ".." + (calib.first() + calib.count() - 1)
                + " of " + calib.length() + " tokens" + (actScales != null ? " (statistics read from " + actScales.getFileName() + ")" : "");
        String label = m.path().toAbsolutePath().normalize().getFileName().toString();
        Inspector.Request req = new Inspector.Request(label, m.model(), stats, calib, calibLabel, chosen, a, autoScheme, sampleWindow, sw, sweepNote);
        Inspector.Result[] result = new Inspector.Result[1];
        AtomicOutput.writeDir(out, force, dir -> result[0] = Inspector.write(req, dir, Progress.sink()));
        System.err.println("sq: wrote " + out + " (" + result[0].figures().size() + " figures, index.html, outliers.csv, outliers.json"
                + (sw != null ? ", sweep.csv, sweep.json" : "") + ")");
        return 0;
    }

    private Sweep runSweep(LoadedModel m, ActivationStats stats, Windows calib, Windows eval, AlphaSpec spec, List<Scheme> schemes, String source) {
        boolean bar = interactive() && !common.quiet;
        try (Progress p = common.quiet ? null : new Progress("sweep", Sweep.rows(spec, schemes.size()))) {
            int[] done = {0};
            Consumer<String> log = line -> {
                if (PPL_LINE.matcher(line).find() && bar) p.stepTo(++done[0]);
                if (!bar && !common.quiet) System.err.println("sq: " + line);
            };
            return Sweep.run(m.model(), stats, calib, eval, spec, schemes, source, log);
        }
    }

    private static boolean interactive() {
        return System.console() != null && System.console().isTerminal();
    }

    private void refuseNonEmpty() throws java.io.IOException {
        if (force || !Files.isDirectory(out)) return;
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent()) throw InputException.of(out, "exists and is not empty; use --force to replace it");
        }
    }
}
