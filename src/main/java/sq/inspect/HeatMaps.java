package sq.inspect;

import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The paper's Figure 2 for one smoothing group: |X| over (token, channel) of the sample window and |W| over
 * (output channel, input channel) of the group's linears stacked, before and after smoothing. Each before/after pair
 * shares one colour scale (0 .. the larger maximum of the two), so what smoothing moves from X into W is visible.
 */
final class HeatMaps {
    record Panel(String suffix, JFreeChart chart, String alt) {
    }

    /** Summary of a magnitude matrix [rows, cols] by its per-column max: max, median column, ratio, effective bits. */
    record Summary(float max, float median, double ratio, double effectiveBits, int argmax) {
        static Summary of(float[] m, int rows, int cols) {
            float[] col = new float[cols];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) col[c] = Math.max(col[c], Math.abs(m[r * cols + c]));
            OutlierReport.Entry e = OutlierReport.entry("", col);
            return new Summary(e.max(), e.median(), e.ratio(), e.effectiveBits(), e.argmax());
        }

        String text() {
            return String.format(Locale.ROOT, "max %s (ch %d), median channel %s, ratio %s, effective bits %.2f",
                    Charts.fmt(max), argmax, Charts.fmt(median), Charts.ratio(ratio), effectiveBits);
        }
    }

    private HeatMaps() {
    }

    static List<Panel> panels(Inspector.GroupView g, int windowNumber) {
        int T = g.tokens(), in = g.in(), rows = 0;
        for (int o : g.outs()) rows += o;
        Grid xb = Grid.pool(g.xBefore(), T, in, Inspector.MAX_CELL_ROWS, Inspector.MAX_CELL_COLS);
        Grid xa = Grid.pool(g.xAfter(), T, in, Inspector.MAX_CELL_ROWS, Inspector.MAX_CELL_COLS);
        Grid wb = Grid.pool(g.wBefore(), rows, in, Inspector.MAX_CELL_ROWS, Inspector.MAX_CELL_COLS);
        Grid wa = Grid.pool(g.wAfter(), rows, in, Inspector.MAX_CELL_ROWS, Inspector.MAX_CELL_COLS);
        double xUpper = Math.max(xb.max(), xa.max()), wUpper = Math.max(wb.max(), wa.max());
        String linears = Inspector.shortNames(g.group().linears());
        String stacked = String.join(" | ", g.group().linears().stream().map(Inspector::shortName).toList());
        double[] marks = new double[g.outs().length - 1];
        for (int i = 0, at = 0; i < marks.length; i++) marks[i] = at += g.outs()[i];
        String alpha = String.format(Locale.ROOT, "alpha %.2f", g.alpha());
        String xWhere = String.format(Locale.ROOT, "layer %d, input of %s, calibration window %d (%d tokens x %d channels)%s",
                g.layer(), linears, windowNumber, T, in, pooledNote(xb));
        String wWhere = String.format(Locale.ROOT, "layer %d, %s%s (%d outputs x %d inputs)%s", g.layer(), stacked,
                g.outs().length > 1 ? " stacked" : "", rows, in, pooledNote(wb));
        List<Panel> out = new ArrayList<>();
        out.add(new Panel("x_before", Charts.heatmap(xb, "|X| before smoothing", xWhere + "\n" + Summary.of(g.xBefore(), T, in).text(),
                "channel", "token", "|X|", xUpper, new double[0]), "|X| before smoothing, layer " + g.layer() + " " + linears + " input"));
        out.add(new Panel("x_after", Charts.heatmap(xa, "|X| after smoothing (" + alpha + ")", xWhere + "\n" + Summary.of(g.xAfter(), T, in).text(),
                "channel", "token", "|X|", xUpper, new double[0]), "|X| after smoothing, layer " + g.layer() + " " + linears + " input"));
        out.add(new Panel("w_before", Charts.heatmap(wb, "|W| before smoothing", wWhere + "\n" + Summary.of(g.wBefore(), rows, in).text(),
                "input channel", "output channel (" + stacked + ")", "|W|", wUpper, marks), "|W| before smoothing, layer " + g.layer() + " " + stacked));
        out.add(new Panel("w_after", Charts.heatmap(wa, "|W| after smoothing (" + alpha + ")", wWhere + "\n" + Summary.of(g.wAfter(), rows, in).text(),
                "input channel", "output channel (" + stacked + ")", "|W|", wUpper, marks), "|W| after smoothing, layer " + g.layer() + " " + stacked));
        return out;
    }

    private static String pooledNote(Grid g) {
        return g.pooled() ? String.format(Locale.ROOT, ", max-pooled %dx%d", g.rowBin(), g.colBin()) : "";
    }
}
