package sq.inspect;

import sq.eval.Windows;
import sq.io.InputException;
import sq.io.Json;
import sq.model.DenseLinear;
import sq.model.KvCache;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.SmoothingGroup;
import sq.model.Transformer;
import sq.quant.ActivationStats;
import sq.quant.AlphaSearch;
import sq.quant.Scheme;
import sq.quant.Smoother;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ./sq inspect}: draws the paper's Figure 2 for chosen layers (|X| and |W| before and after smoothing, on one
 * colour scale per pair), the per-channel max|X| of every linear input per layer, the alpha sweep, and writes the
 * outlier report (outliers.csv, outliers.json) and one self-contained index.html showing all of it.
 * Everything written is a function of the inputs only (no times, no random numbers), so runs are reproducible.
 */
public final class Inspector {
    /** Heat-map image size and the most cells a heat map has (larger matrices are max-pooled). */
    static final int HEAT_W = 640, HEAT_H = 540, MAX_CELL_ROWS = 256, MAX_CELL_COLS = 512;

    /** A PNG written into the output folder. */
    public record Figure(String file, int width, int height, String alt) {
    }

    /**
     * What to inspect.
     *
     * @param modelLabel   the model's name for titles (its folder name)
     * @param calibLabel   what the calibration windows are, for the page
     * @param alpha        migration strength of the "after" figures, or null for the per-group search
     * @param autoScheme   the scheme the per-group search optimises for (used when alpha is null)
     * @param sampleWindow which calibration window (0-based, of calib) the |X| heat maps show
     * @param sweep        the alpha sweep, or null
     * @param sweepNote    why there is no sweep (when sweep is null), for the page
     */
    public record Request(String modelLabel, Model model, ActivationStats stats, Windows calib, String calibLabel, List<Integer> layers,
                          Float alpha, Scheme autoScheme, int sampleWindow, Sweep sweep, String sweepNote) {
    }

    /** One smoothing group of one chosen layer, captured on the sample window. */
    record GroupView(int layer, SmoothingGroup group, float alpha, float[] s, int tokens, int in,
                     float[] xBefore, float[] xAfter, float[] wBefore, float[] wAfter, int[] outs) {
        String key() {
            return shortName(group.linears().getFirst());
        }
    }

    /** What was written. */
    public record Result(List<Figure> figures, OutlierReport outliers, Map<String, Float> alphas) {
    }

    private Inspector() {
    }

    /** The first, middle and last layer. */
    public static List<Integer> defaultLayers(int layers) {
        return List.copyOf(new TreeSet<>(List.of(0, layers / 2, layers - 1)));
    }

    /** Parses "0,3,7" or "all" against a model of n layers. */
    public static List<Integer> parseLayers(String spec, int n) {
        if (spec == null) return defaultLayers(n);
        if (spec.trim().equalsIgnoreCase("all")) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < n; i++) all.add(i);
            return all;
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (String p : spec.split(",")) {
            p = p.trim();
            int l;
            try {
                l = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new InputException("--layers: '" + p + "' is not a layer number (give e.g. 0,3,7 or all)");
            }
            if (l < 0 || l >= n) throw new InputException("--layers: layer " + l + " is outside 0.." + (n - 1) + " of this model");
            out.add(l);
        }
        if (out.isEmpty()) throw new InputException("--layers: no layer given");
        return List.copyOf(out);
    }

    /** Smooths, captures, draws and writes everything into dir (an empty folder). */
    public static Result write(Request r, Path dir, ProgressSink progress) throws IOException {
        Model model = r.model();
        if (r.sampleWindow() < 0 || r.sampleWindow() >= r.calib().count())
            throw new InputException("--sample-window " + r.sampleWindow() + " is outside the " + r.calib().count() + " calibration windows");
        Smoother.Result smoothed = smooth(model, r.stats(), r.calib(), r.alpha(), r.autoScheme());
        List<GroupView> groups = capture(model, smoothed, r.layers(), r.calib().window(r.sampleWindow()), progress);
        OutlierReport outliers = OutlierReport.of(r.stats());

        int layerDigits = Math.max(2, Integer.toString(model.layers().size() - 1).length());
        List<Figure> figures = new ArrayList<>();
        int total = r.layers().size() + 4 * groups.size() + (r.sweep() != null ? 1 : 0);
        HtmlPage page = new HtmlPage(r, outliers, smoothed.alphas());
        try (ProgressSink.Task task = progress.start("inspect: plots", total)) {
            int done = 0;
            for (int layer : r.layers()) {
                String prefix = String.format(Locale.ROOT, "L%0" + layerDigits + "d_", layer);
                List<ChannelPlot.Panel> panels = channelPanels(model, layer, r.stats(), smoothed);
                String channels = prefix + "channels.png";
                figures.add(png(ChannelPlot.render(panels), dir, channels, "per-channel max|X| of every linear input of layer " + layer));
                task.stepTo(++done);
                page.layer(layer, figures.getLast(), panels);
                for (GroupView g : groups) {
                    if (g.layer() != layer) continue;
                    String base = prefix + g.key() + "_";
                    List<Figure> four = new ArrayList<>();
                    for (HeatMaps.Panel p : HeatMaps.panels(g, r.sampleWindow() + r.calib().first())) {
                        four.add(png(Charts.render(p.chart(), HEAT_W, HEAT_H), dir, base + p.suffix() + ".png", p.alt()));
                        task.stepTo(++done);
                    }
                    figures.addAll(four);
                    page.group(g, four);
                }
            }
            if (r.sweep() != null) {
                Float chosen = r.alpha();
                figures.add(png(r.sweep().render(chosen), dir, "alpha_sweep.png", "perplexity against alpha for each scheme"));
                task.stepTo(++done);
                page.sweep(figures.getLast());
                write(dir.resolve("sweep.csv"), r.sweep().toCsv());
                write(dir.resolve("sweep.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(r.sweep().toJson()) + "\n");
            }
        }
        write(dir.resolve("outliers.csv"), outliers.toCsv());
        write(dir.resolve("outliers.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(outliers.toJson()) + "\n");
        write(dir.resolve("index.html"), page.render());
        return new Result(List.copyOf(figures), outliers, smoothed.alphas());
    }

    static Smoother.Result smooth(Model model, ActivationStats stats, Windows calib, Float alpha, Scheme autoScheme) {
        if (alpha != null) return Smoother.smooth(model, stats, alpha);
        Map<String, Float> chosen = AlphaSearch.search(model, stats, AlphaSearch.collectGroupInputs(model, calib, 4096), autoScheme);
        return Smoother.smooth(model, stats, g -> chosen.get(g.norm()));
    }

    /** Runs the sample window through the fp32 and the smoothed model and keeps the inputs of the chosen groups. */
    static List<GroupView> capture(Model model, Smoother.Result smoothed, List<Integer> layers, int[] window, ProgressSink progress) {
        Set<String> wanted = new HashSet<>();
        for (int l : layers)
            for (SmoothingGroup g : model.architecture().smoothingGroups(l)) wanted.add(g.linears().getFirst());
        Map<String, float[]> before, after;
        try (ProgressSink.Task task = progress.start("inspect: activations", 2)) {
            before = inputs(model, window, wanted);
            task.stepTo(1);
            after = inputs(smoothed.model(), window, wanted);
            task.stepTo(2);
        }
        List<GroupView> out = new ArrayList<>();
        for (int l : layers) {
            Layer src = model.layers().get(l), dst = smoothed.model().layers().get(l);
            for (SmoothingGroup g : model.architecture().smoothingGroups(l)) {
                String first = g.linears().getFirst();
                int in = linear(src, first).in();
                int[] outs = g.linears().stream().mapToInt(n -> linear(src, n).out()).toArray();
                out.add(new GroupView(l, g, smoothed.alphas().get(g.norm()), smoothed.factors().get(g.norm()), window.length, in,
                        before.get(first), after.get(first), stackWeights(src, g), stackWeights(dst, g), outs));
            }
        }
        return out;
    }

    static Map<String, float[]> inputs(Model model, int[] window, Set<String> names) {
        Map<String, float[]> got = new LinkedHashMap<>();
        Transformer tf = new Transformer(model);
        tf.setObserver((linear, x, y, tokens) -> {
            if (names.contains(linear.name())) got.put(linear.name(), java.util.Arrays.copyOf(x, tokens * linear.in()));
        });
        KvCache cache = tf.newCache(window.length);
        tf.forward(window, cache, false);
        return got;
    }

    /** The group's weights stacked by rows: [sum of outs, in]. */
    static float[] stackWeights(Layer layer, SmoothingGroup g) {
        List<DenseLinear> fcs = g.linears().stream().map(n -> dense(linear(layer, n))).toList();
        int rows = fcs.stream().mapToInt(DenseLinear::out).sum(), in = fcs.getFirst().in();
        float[] w = new float[Math.multiplyExact(rows, in)];
        int at = 0;
        for (DenseLinear fc : fcs) {
            System.arraycopy(fc.weight(), 0, w, at, fc.weight().length);
            at += fc.weight().length;
        }
        return w;
    }

    /** Panels of the per-layer channel plot: one per distinct input, in execution order. */
    static List<ChannelPlot.Panel> channelPanels(Model model, int layer, ActivationStats stats, Smoother.Result smoothed) {
        List<SmoothingGroup> groups = model.architecture().smoothingGroups(layer);
        List<ChannelPlot.Panel> panels = new ArrayList<>();
        for (String name : model.architecture().linears(layer)) {
            SmoothingGroup group = groups.stream().filter(g -> g.linears().contains(name)).findFirst().orElse(null);
            if (group != null && !group.linears().getFirst().equals(name)) continue;
            if (!stats.entries().containsKey(name)) continue;
            float[] act = stats.channelMax(name);
            float[] after = null;
            String title;
            if (group != null) {
                float[] s = smoothed.factors().get(group.norm());
                after = new float[act.length];
                for (int j = 0; j < act.length; j++) after[j] = act[j] / s[j];
                title = String.format(Locale.ROOT, "layer %d: input of %s (%s output), alpha %.2f", layer, shortNames(group.linears()),
                        shortName(group.norm()), smoothed.alphas().get(group.norm()));
            } else {
                title = "layer " + layer + ": input of " + shortName(name) + " (not smoothed)";
            }
            panels.add(new ChannelPlot.Panel(title, act, after));
        }
        return panels;
    }

    static Linear linear(Layer layer, String name) {
        return layer.linear(name);
    }

    private static DenseLinear dense(Linear l) {
        if (l instanceof DenseLinear d) return d;
        throw new IllegalStateException(l.name() + " is not an fp32 linear");
    }

    /** The last part of a module name: model.layers.3.self_attn.q_proj -> q_proj. */
    static String shortName(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }

    static String shortNames(List<String> modules) {
        return String.join(", ", modules.stream().map(Inspector::shortName).toList());
    }

    private static Figure png(BufferedImage img, Path dir, String name, String alt) throws IOException {
        Charts.writePng(img, dir.resolve(name));
        return new Figure(name, img.getWidth(), img.getHeight(), alt);
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
