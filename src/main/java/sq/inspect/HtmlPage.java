package sq.inspect;

import sq.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** index.html: one self-contained page (inline CSS, no scripts) showing every figure with a short caption. */
final class HtmlPage {
    private final Inspector.Request request;
    private final OutlierReport outliers;
    private final Map<String, Float> alphas;
    private final StringBuilder layers = new StringBuilder();
    private final List<Integer> layerIds = new ArrayList<>();
    private String sweep = "";

    HtmlPage(Inspector.Request request, OutlierReport outliers, Map<String, Float> alphas) {
        this.request = request;
        this.outliers = outliers;
        this.alphas = alphas;
    }

    void layer(int layer, Inspector.Figure channels, List<ChannelPlot.Panel> panels) {
        layerIds.add(layer);
        layers.append("<section id=\"layer-").append(layer).append("\">\n<h2>Layer ").append(layer).append("</h2>\n");
        StringBuilder what = new StringBuilder();
        for (ChannelPlot.Panel p : panels) {
            List<Integer> labelled = ChannelPlot.labelled(p.act());
            OutlierReport.Entry e = OutlierReport.entry("", p.act());
            what.append("<li>").append(esc(p.title().replaceFirst("^layer \\d+: ", ""))).append(": ")
                    .append(e.outliers() > 0 ? e.outliers() + " outlier channel" + (e.outliers() > 1 ? "s" : "") + " (" + channelList(labelled) + ")"
                            : "no channel at 6x the median (largest: ch " + e.argmax() + ")")
                    .append(String.format(Locale.ROOT, ", max/median %s, %.2f effective bits", Charts.ratio(e.ratio()), e.effectiveBits()));
            if (p.after() != null) {
                OutlierReport.Entry a = OutlierReport.entry("", p.after());
                what.append(String.format(Locale.ROOT, "; after smoothing %s, %.2f bits", Charts.ratio(a.ratio()), a.effectiveBits()));
            }
            what.append("</li>\n");
        }
        figure(layers, channels, "Per-channel max|X| over the calibration tokens (act_scales) of every linear input of layer " + layer
                + ": blue in channel order, orange sorted largest first; green is the same after smoothing (max|X| / s), "
                + "red circles mark the outlier channels (at least 6x the median channel; if none, the largest). "
                + "Dotted: the median channel.");
        layers.append("<ul class=\"notes\">\n").append(what).append("</ul>\n");
    }

    void group(Inspector.GroupView g, List<Inspector.Figure> four) {
        String linears = Inspector.shortNames(g.group().linears());
        layers.append("<h3>").append(esc(Inspector.shortName(g.group().norm()))).append(" &rarr; ").append(esc(linears))
                .append(String.format(Locale.ROOT, " (alpha %.2f)", g.alpha())).append("</h3>\n");
        layers.append("<div class=\"pair\">\n");
        figure(layers, four.get(0), "|X| before smoothing: each row a token of the sample window, each column an input channel of "
                + esc(linears) + "; above, each channel's max (the surface seen from the side). Outlier channels are the bright columns.");
        figure(layers, four.get(1), "|X| after smoothing: X &middot; diag(s)<sup>-1</sup>, the input the smoothed model computes, "
                + "on the same colour scale; the outlier columns are flattened.");
        layers.append("</div>\n<div class=\"pair\">\n");
        figure(layers, four.get(2), "|W| before smoothing: the weights of " + esc(linears)
                + (g.outs().length > 1 ? " stacked by output rows (white lines between matrices)" : ", one row per output channel")
                + ", columns = input channels.");
        figure(layers, four.get(3), "|W| after smoothing: W &middot; diag(s) on the same colour scale; column j grows by s<sub>j</sub>, "
                + "most where the activation outliers were: the weights take over part of the quantization difficulty.");
        layers.append("</div>\n");
    }

    void sweep(Inspector.Figure plot) {
        Sweep s = request.sweep();
        StringBuilder sb = new StringBuilder("<section id=\"sweep\">\n<h2>Alpha sweep</h2>\n");
        figure(sb, plot, "Perplexity of SmoothQuant (simulated W8A8) against the migration strength alpha, one line per scheme; "
                + "dashed: the same scheme without smoothing (naive W8A8); black: FP32. Evaluated on " + esc(s.source())
                + ". Few windows keep this quick, so differences well under 1% are noise. Numbers: "
                + "<a href=\"sweep.csv\">sweep.csv</a>, <a href=\"sweep.json\">sweep.json</a>.");
        sb.append("<table>\n<tr><th>scheme</th><th>naive W8A8</th><th>best alpha</th><th>best SmoothQuant</th><th>auto alpha</th><th>FP32</th></tr>\n");
        for (String scheme : s.schemes()) {
            Map.Entry<Float, Double> best = s.best(scheme);
            sb.append("<tr><td>").append(esc(scheme)).append("</td><td>").append(ppl(s.naive().get(scheme))).append("</td><td>")
                    .append(best == null ? "-" : Sweep.alpha(best.getKey())).append("</td><td>").append(best == null ? "-" : ppl(best.getValue()))
                    .append("</td><td>").append(ppl(s.auto().get(scheme))).append("</td><td>").append(ppl(s.fp32())).append("</td></tr>\n");
        }
        sb.append("</table>\n</section>\n");
        sweep = sb.toString();
    }

    String render() {
        Inspector.Request r = request;
        ModelConfig cfg = r.model().config();
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>sq inspect: ").append(esc(r.modelLabel()))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        sb.append("<h1>Activation outliers and SmoothQuant: ").append(esc(r.modelLabel())).append("</h1>\n");
        sb.append("<table class=\"facts\">\n");
        fact(sb, "model", r.modelLabel() + " (" + cfg.architecture().name() + ", " + cfg.layers() + " layers, hidden " + cfg.hidden()
                + ", intermediate " + cfg.intermediate() + ")");
        fact(sb, "calibration", r.calibLabel());
        fact(sb, "|X| heat maps", "calibration window " + (r.calib().first() + r.sampleWindow()) + " (" + r.calib().length() + " tokens)");
        fact(sb, "smoothing", r.alpha() != null ? String.format(Locale.ROOT, "alpha %.2f for every group", r.alpha())
                : "per-group automatic alpha for " + r.autoScheme().name() + ": " + alphaRange());
        fact(sb, "alpha sweep", r.sweep() != null ? r.sweep().source() : r.sweepNote());
        sb.append("</table>\n<nav>Contents: <a href=\"#outliers\">outlier report</a>");
        for (int l : layerIds) sb.append(" &middot; <a href=\"#layer-").append(l).append("\">layer ").append(l).append("</a>");
        if (!sweep.isEmpty()) sb.append(" &middot; <a href=\"#sweep\">alpha sweep</a>");
        sb.append("</nav>\n");
        outlierSection(sb);
        sb.append(layers);
        sb.append(sweep);
        sb.append("<footer>Written by <code>sq inspect</code>. SmoothQuant: Xiao et al., arXiv 2211.10438; the heat maps follow its Figure 2.</footer>\n");
        sb.append("</body>\n</html>\n");
        return sb.toString();
    }

    private void outlierSection(StringBuilder sb) {
        OutlierReport.Entry worst = outliers.worst();
        long withOutliers = outliers.entries().stream().filter(e -> e.outliers() > 0).count();
        sb.append("<section id=\"outliers\">\n<h2>Outlier report</h2>\n");
        sb.append("<p>For every linear input: the per-channel max|X| over the calibration tokens (act_scales); <b>max</b> is the "
                + "largest channel (the per-tensor max), <b>median</b> the median channel (torch.median: the lower middle value), "
                + "<b>ratio</b> = max / median. <b>Effective bits</b> = log<sub>2</sub>(1 + 254 &middot; median / max): a symmetric "
                + "per-tensor int8 scale set by the max (step max/127) leaves the median channel only the integer levels in "
                + "&plusmn;127 &middot; median/max, i.e. 1 + 254 &middot; median/max of the 255 levels. 7.99 bits means no outlier; "
                + "every doubling of the ratio costs about one bit. Outlier channels: at least 6x the median (LLM.int8()'s threshold). "
                + "Files: <a href=\"outliers.csv\">outliers.csv</a>, <a href=\"outliers.json\">outliers.json</a>.</p>\n");
        sb.append(String.format(Locale.ROOT, "<p>Largest ratio: <b>%s</b> at %s (channel %d); %d of %d linear inputs have a channel at 6x the median.</p>\n",
                Charts.ratio(worst.ratio()), esc(worst.module()), worst.argmax(), withOutliers, outliers.entries().size()));
        sb.append("<table class=\"outliers\">\n<tr><th>module</th><th>channels</th><th>max</th><th>median</th><th>ratio</th>"
                + "<th>effective bits</th><th>&ge; 6x median</th><th>top channels (value)</th></tr>\n");
        for (OutlierReport.Entry e : outliers.entries()) {
            StringBuilder top = new StringBuilder();
            for (OutlierReport.Channel c : e.top()) {
                if (!top.isEmpty()) top.append(", ");
                top.append(c.channel()).append(" (").append(Charts.fmt(c.value())).append(')');
            }
            sb.append(e.outliers() > 0 ? "<tr class=\"hot\">" : "<tr>").append("<td>").append(esc(e.module())).append("</td><td>")
                    .append(e.channels()).append("</td><td>").append(Charts.fmt(e.max())).append("</td><td>").append(Charts.fmt(e.median()))
                    .append("</td><td>").append(Double.isFinite(e.ratio()) ? String.format(Locale.ROOT, "%.2f", e.ratio()) : "inf")
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f", e.effectiveBits())).append("</td><td>").append(e.outliers())
                    .append("</td><td>").append(top).append("</td></tr>\n");
        }
        sb.append("</table>\n</section>\n");
    }

    private String alphaRange() {
        TreeMap<Float, Integer> counts = new TreeMap<>();
        for (float a : alphas.values()) counts.merge(a, 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        counts.forEach((a, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", a)).append(" (").append(n)
                .append(n == 1 ? " group)" : " groups)"));
        return sb.toString();
    }

    private static void figure(StringBuilder sb, Inspector.Figure f, String caption) {
        sb.append("<figure><a href=\"").append(esc(f.file())).append("\"><img src=\"").append(esc(f.file())).append("\" width=\"")
                .append(f.width()).append("\" height=\"").append(f.height()).append("\" alt=\"").append(esc(f.alt()))
                .append("\"></a>\n<figcaption>").append(caption).append("</figcaption></figure>\n");
    }

    private static void fact(StringBuilder sb, String key, String value) {
        sb.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    private static String channelList(List<Integer> channels) {
        StringBuilder sb = new StringBuilder("ch ");
        for (int i = 0; i < channels.size(); i++) sb.append(i == 0 ? "" : ", ").append(channels.get(i));
        return sb.toString();
    }

    private static String ppl(Double p) {
        return p == null || p.isNaN() ? "-" : String.format(Locale.ROOT, "%.4f", p);
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String CSS = """
            body { font-family: sans-serif; margin: 1.5em auto; max-width: 1320px; color: #222; line-height: 1.4; }
            h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-bottom: 0.3em; }
            table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
            th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
            table.outliers td:nth-child(n+2):nth-child(-n+7) { text-align: right; }
            tr.hot { background: #fde8e8; }
            table.facts th { background: #f4f4f4; }
            nav { margin: 1em 0; font-size: 0.9em; }
            figure { margin: 0.5em 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { font-size: 0.85em; color: #444; max-width: 1000px; }
            .pair { display: flex; flex-wrap: wrap; gap: 12px; }
            .pair figure { flex: 1 1 600px; max-width: 650px; }
            ul.notes { font-size: 0.85em; }
            footer { margin-top: 3em; font-size: 0.8em; color: #666; }
            """;
}
