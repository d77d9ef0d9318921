package sq.inspect;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Per layer: one panel per distinct linear input (q/k/v share one, gate/up share one) with the per-channel max|X|
 * (act_scales) in channel order and sorted (largest first), the median, the same after smoothing (act / s) where the
 * input belongs to a smoothing group, and the outlier channels labelled.
 */
final class ChannelPlot {
    static final int WIDTH = 1000, PANEL_HEIGHT = 250;

    /** after: per-channel max|X| after smoothing, or null where the input is not smoothed. */
    record Panel(String title, float[] act, float[] after) {
    }

    private ChannelPlot() {
    }

    /** The channels a figure labels: those at or above 6x the median (at most 8, largest first), else just the largest. */
    static List<Integer> labelled(float[] act) {
        OutlierReport.Entry e = OutlierReport.entry("", act);
        int[] order = OutlierReport.ranking(act);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < Math.min(e.outliers(), OutlierReport.TOP); i++) out.add(order[i]);
        if (out.isEmpty()) out.add(order[0]);
        return out;
    }

    static BufferedImage render(List<Panel> panels) {
        List<JFreeChart> charts = new ArrayList<>();
        for (Panel p : panels) charts.add(chart(p));
        return Charts.stack(charts, WIDTH, PANEL_HEIGHT);
    }

    static int height(int panels) {
        return panels * PANEL_HEIGHT;
    }

    private static JFreeChart chart(Panel p) {
        float[] act = p.act();
        int n = act.length;
        OutlierReport.Entry stats = OutlierReport.entry("", act);
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries unsorted = new XYSeries("max|X| by channel", false, false);
        XYSeries sorted = new XYSeries("max|X| sorted, largest first (x = rank)", false, false);
        int[] order = OutlierReport.ranking(act);
        for (int j = 0; j < n; j++) {
            unsorted.add(j, act[j]);
            sorted.add(j, act[order[j]]);
        }
        data.addSeries(unsorted);
        data.addSeries(sorted);
        XYSeries after = null;
        if (p.after() != null) {
            after = new XYSeries("after smoothing (max|X| / s) by channel", false, false);
            for (int j = 0; j < n; j++) after.add(j, p.after()[j]);
            data.addSeries(after);
        }
        List<Integer> labels = labelled(act);
        boolean real = stats.outliers() > 0;
        XYSeries marks = new XYSeries(real ? "outlier channels (>= 6x median)" : "largest channel (none >= 6x median)", false, false);
        for (int c : labels) marks.add(c, act[c]);
        data.addSeries(marks);

        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        int s = 0;
        r.setSeriesPaint(s, Charts.PALETTE[0]);
        r.setSeriesStroke(s++, new BasicStroke(1.2f));
        r.setSeriesPaint(s, Charts.PALETTE[1]);
        r.setSeriesStroke(s++, new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{5, 3}, 0));
        if (after != null) {
            r.setSeriesPaint(s, Charts.PALETTE[2]);
            r.setSeriesStroke(s++, new BasicStroke(1.2f));
        }
        r.setSeriesPaint(s, Charts.PALETTE[3]);
        r.setSeriesLinesVisible(s, false);
        r.setSeriesShapesVisible(s, true);
        r.setSeriesShape(s, new Ellipse2D.Double(-4, -4, 8, 8));

        NumberAxis x = Charts.axis("channel (rank for the sorted line)", true);
        x.setRange(-0.5, n - 0.5);
        NumberAxis y = Charts.axis("max |X|", false);
        y.setAutoRangeIncludesZero(true);
        y.setUpperMargin(0.18);
        XYPlot plot = new XYPlot(data, x, y, r);
        ValueMarker median = new ValueMarker(stats.median(), Color.GRAY,
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{2, 3}, 0));
        median.setLabel("median " + Charts.fmt(stats.median()));
        median.setLabelFont(Charts.TICK);
        median.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        median.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        plot.addRangeMarker(median);
        Font f = new Font(Font.SANS_SERIF, Font.BOLD, 11);
        for (int c : labels) {
            XYTextAnnotation a = new XYTextAnnotation("ch " + c, c, act[c]);
            a.setFont(f);
            a.setPaint(Charts.PALETTE[3]);
            a.setTextAnchor(TextAnchor.BOTTOM_CENTER);
            plot.addAnnotation(a);
        }
        JFreeChart chart = Charts.chart(p.title(), plot, true);
        Charts.subtitle(chart, String.format(java.util.Locale.ROOT, "%d channels; max %s (ch %d), median %s, ratio %s, effective bits %.2f",
                n, Charts.fmt(stats.max()), stats.argmax(), Charts.fmt(stats.median()), Charts.ratio(stats.ratio()), stats.effectiveBits()));
        return chart;
    }
}
