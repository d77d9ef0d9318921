package sq.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import sq.eval.EvalTable;
import sq.eval.Windows;
import sq.io.InputException;
import sq.io.Json;
import sq.model.Model;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.Scheme;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The alpha sweep: perplexity of SmoothQuant against the migration strength alpha, one line per scheme, with the
 * FP32 perplexity and each scheme's naive (unsmoothed) W8A8 as horizontal lines. From a run of
 * {@link EvalTable} here, or from the JSON of {@code ./sq eval --json}.
 *
 * @param fp32   FP32 perplexity (NaN if the source had no fp32 row)
 * @param naive  naive W8A8 perplexity per scheme
 * @param curves per scheme: alpha -> perplexity
 * @param auto   per scheme: perplexity with the per-group automatic alpha (where the source has it)
 * @param source where the numbers come from (for the caption)
 */
public record Sweep(double fp32, Map<String, Double> naive, Map<String, TreeMap<Float, Double>> curves, Map<String, Double> auto,
                    String source) {
    static final int WIDTH = 900, HEIGHT = 560;

    /** Runs the table: FP32, naive and SmoothQuant at every alpha of the spec under each scheme (no baselines). */
    public static Sweep run(Model fp32, ActivationStats stats, Windows calib, Windows eval, AlphaSpec alphas, List<Scheme> schemes,
                            String source, Consumer<String> log) {
        EvalTable table = new EvalTable(fp32, stats, calib, eval, log);
        return of(table.run(new EvalTable.Options(alphas, schemes, false, 4096)), source);
    }

    /** How many perplexities {@link #run} computes (each one logged once by EvalTable): for progress. */
    public static int rows(AlphaSpec alphas, int schemes) {
        return 1 + schemes * (1 + alphas.values().size() + (alphas.auto() ? 1 : 0));
    }

    public static Sweep of(List<EvalTable.Row> rows, String source) {
        double fp = Double.NaN;
        Map<String, Double> naive = new LinkedHashMap<>(), auto = new LinkedHashMap<>();
        Map<String, TreeMap<Float, Double>> curves = new LinkedHashMap<>();
        for (EvalTable.Row r : rows) {
            switch (r.method()) {
                case "fp32" -> fp = r.ppl();
                case "naive" -> naive.put(r.scheme(), r.ppl());
                case "smoothquant" -> {
                    if (r.alpha() instanceof Float a) curves.computeIfAbsent(r.scheme(), k -> new TreeMap<>()).put(a, r.ppl());
                    else if ("auto".equals(String.valueOf(r.alpha()))) auto.put(r.scheme(), r.ppl());
                }
                default -> { } // baselines (zeroquant, llm.int8) are not part of the sweep
            }
        }
        return new Sweep(fp, naive, curves, auto, source);
    }

    /** Reads the output of {@code ./sq eval --json} (an array of rows {method, alpha, scheme, ppl}). */
    public static Sweep fromEvalJson(Path file) {
        JsonNode root = Json.read(file);
        if (!root.isArray()) throw InputException.of(file, "expected the JSON array that ./sq eval --json prints");
        List<EvalTable.Row> rows = new ArrayList<>();
        int i = 0;
        for (JsonNode n : root) {
            if (!n.isObject() || !n.path("method").isTextual() || !n.path("ppl").isNumber())
                throw InputException.of(file, "row " + i + " has no method and numeric ppl (expected ./sq eval --json output)");
            JsonNode a = n.get("alpha");
            Object alpha = a == null || a.isNull() ? null : a.isNumber() ? (Object) (float) a.asDouble() : a.asText();
            String scheme = n.path("scheme").isTextual() ? n.get("scheme").asText() : null;
            if (!n.path("method").asText().equals("fp32") && scheme == null)
                throw InputException.of(file, "row " + i + " (" + n.get("method").asText() + ") names no scheme");
            rows.add(new EvalTable.Row(n.get("method").asText(), alpha, scheme, null, null, null, n.get("ppl").asDouble(), ""));
            i++;
        }
        Sweep s = of(rows, "the rows of " + file.getFileName() + " (./sq eval --json)");
        if (s.curves().isEmpty() && s.naive().isEmpty()) throw InputException.of(file, "has no naive or smoothquant rows to plot");
        return s;
    }

    /** Schemes in first-seen order (curves, then naive-only ones). */
    List<String> schemes() {
        List<String> out = new ArrayList<>(curves.keySet());
        for (String s : naive.keySet()) if (!out.contains(s)) out.add(s);
        for (String s : auto.keySet()) if (!out.contains(s)) out.add(s);
        return out;
    }

    /** The best (lowest-perplexity) alpha of a scheme, or null. */
    Map.Entry<Float, Double> best(String scheme) {
        TreeMap<Float, Double> c = curves.get(scheme);
        if (c == null || c.isEmpty()) return null;
        Map.Entry<Float, Double> best = null;
        for (Map.Entry<Float, Double> e : c.entrySet()) if (best == null || e.getValue() < best.getValue()) best = e;
        return best;
    }

    /** chosenAlpha: the alpha of the other figures, drawn as a vertical line (null for none, e.g. auto). */
    BufferedImage render(Float chosenAlpha) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        List<String> schemes = schemes();
        int s = 0;
        BasicStroke dashed = new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{6, 4}, 0);
        double lo = 0, hi = 1;
        for (TreeMap<Float, Double> c : curves.values()) {
            if (!c.isEmpty()) {
                lo = Math.min(lo, c.firstKey());
                hi = Math.max(hi, c.lastKey());
            }
        }
        for (int k = 0; k < schemes.size(); k++) {
            String name = schemes.get(k);
            Color colour = Charts.PALETTE[k % Charts.PALETTE.length];
            TreeMap<Float, Double> c = curves.get(name);
            if (c != null) {
                XYSeries line = new XYSeries("SmoothQuant " + name, true, false);
                c.forEach(line::add);
                data.addSeries(line);
                r.setSeriesPaint(s, colour);
                r.setSeriesStroke(s, new BasicStroke(2f));
                r.setSeriesShape(s++, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
            }
            if (naive.containsKey(name)) {
                XYSeries line = new XYSeries(name + " naive W8A8 (no smoothing)", true, false);
                line.add(lo, naive.get(name));
                line.add(hi, naive.get(name));
                data.addSeries(line);
                r.setSeriesPaint(s, colour);
                r.setSeriesStroke(s, dashed);
                r.setSeriesShapesVisible(s++, false);
            }
        }
        if (!Double.isNaN(fp32)) {
            XYSeries line = new XYSeries(String.format(Locale.ROOT, "FP32 (%.4f)", fp32), true, false);
            line.add(lo, fp32);
            line.add(hi, fp32);
            data.addSeries(line);
            r.setSeriesPaint(s, Color.BLACK);
            r.setSeriesStroke(s, new BasicStroke(2.2f));
            r.setSeriesShapesVisible(s++, false);
        }
        NumberAxis x = Charts.axis("alpha (migration strength)", false);
        x.setRange(lo - 0.02, hi + 0.02);
        NumberAxis y = Charts.axis("perplexity", false);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, r);
        if (chosenAlpha != null) {
            ValueMarker m = new ValueMarker(chosenAlpha, Color.GRAY, new BasicStroke(1f));
            m.setLabel("alpha of the figures");
            m.setLabelFont(Charts.TICK);
            m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addDomainMarker(m);
        }
        JFreeChart chart = Charts.chart("Perplexity vs alpha (simulated W8A8)", plot, true);
        Charts.subtitle(chart, source);
        return Charts.render(chart, WIDTH, HEIGHT);
    }

    /** scheme,method,alpha,ppl rows: fp32 (scheme and alpha empty), naive (alpha empty), smoothquant (alpha or auto). */
    String toCsv() {
        StringBuilder sb = new StringBuilder("scheme,method,alpha,ppl\n");
        if (!Double.isNaN(fp32)) sb.append(",fp32,,").append(fp32).append('\n');
        for (String s : schemes()) {
            if (naive.containsKey(s)) sb.append(s).append(",naive,,").append(naive.get(s)).append('\n');
            TreeMap<Float, Double> c = curves.get(s);
            if (c != null) c.forEach((a, p) -> sb.append(s).append(",smoothquant,").append(alpha(a)).append(',').append(p).append('\n'));
            if (auto.containsKey(s)) sb.append(s).append(",smoothquant,auto,").append(auto.get(s)).append('\n');
        }
        return sb.toString();
    }

    /** {"fp32": p, "source": text, "schemes": {"O2": {"naive": p, "alphas": {"0.5": p, ...}, "auto": p}}} */
    ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (Double.isNaN(fp32)) root.putNull("fp32");
        else root.put("fp32", fp32);
        root.put("source", source);
        ObjectNode schemesNode = root.putObject("schemes");
        for (String s : schemes()) {
            ObjectNode o = schemesNode.putObject(s);
            if (naive.containsKey(s)) o.put("naive", naive.get(s));
            TreeMap<Float, Double> c = curves.get(s);
            if (c != null) {
                ObjectNode a = o.putObject("alphas");
                c.forEach((k, v) -> a.put(alpha(k), v));
            }
            if (auto.containsKey(s)) o.put("auto", auto.get(s));
        }
        return root;
    }

    static String alpha(float a) {
        return new java.math.BigDecimal(Float.toString(a)).stripTrailingZeros().toPlainString().replaceAll("^(\\d+)$", "$1.0");
    }
}
