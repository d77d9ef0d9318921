package sq.inspect;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** JFreeChart helpers shared by the figures: fonts, colours, the heat map with its colour bar, PNG output. */
final class Charts {
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    static final Color GRID = new Color(0xDD, 0xDD, 0xDD);

    /** Line colours (Tableau 10), in order. */
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private Charts() {
    }

    /** A perceptually uniform colour map (matplotlib's viridis, 9 anchors interpolated) from lower to upper. */
    static final class Viridis implements PaintScale {
        private static final int[] ANCHORS = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
        private static final Color[] TABLE = table();
        private final double lower, upper;

        Viridis(double lower, double upper) {
            this.lower = lower;
            this.upper = upper > lower ? upper : lower + 1;
        }

        private static Color[] table() {
            Color[] t = new Color[256];
            for (int i = 0; i < 256; i++) {
                double p = i / 255.0 * (ANCHORS.length - 1);
                int a = Math.min((int) p, ANCHORS.length - 2);
                double f = p - a;
                int c0 = ANCHORS[a], c1 = ANCHORS[a + 1];
                t[i] = new Color(mix(c0 >> 16, c1 >> 16, f), mix(c0 >> 8, c1 >> 8, f), mix(c0, c1, f));
            }
            return t;
        }

        private static int mix(int a, int b, double f) {
            return (int) Math.round((a & 0xff) * (1 - f) + (b & 0xff) * f);
        }

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            double f = (value - lower) / (upper - lower);
            int i = (int) Math.round(Math.max(0, Math.min(1, Double.isNaN(f) ? 0 : f)) * 255);
            return TABLE[i];
        }
    }

    /** A number axis with locale-independent tick labels. */
    static NumberAxis axis(String label, boolean integer) {
        NumberAxis a = new NumberAxis(label);
        a.setStandardTickUnits(integer ? NumberAxis.createIntegerTickUnits(Locale.ROOT) : NumberAxis.createStandardTickUnits(Locale.ROOT));
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
        return a;
    }

    static JFreeChart chart(String title, XYPlot plot, boolean legend) {
        JFreeChart c = new JFreeChart(title, TITLE, plot, legend);
        c.setBackgroundPaint(Color.WHITE);
        c.setPadding(new RectangleInsets(4, 4, 4, 8));
        c.setAntiAlias(true);
        c.setTextAntiAlias(true);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlinePaint(Color.GRAY);
        if (legend) c.getLegend().setItemFont(TICK);
        return c;
    }

    static void subtitle(JFreeChart c, String text) {
        TextTitle t = new TextTitle(text, SUBTITLE);
        t.setPaint(Color.DARK_GRAY);
        c.addSubtitle(t);
    }

    /**
     * A heat map of a pooled magnitude matrix: x = columns, y = rows (row 0 at the top, like a matrix), colours from
     * 0 to upper (shared by the before/after pair), with a colour bar; white lines across at rowMarks. Above it, the
     * profile: each column's max on the same 0..upper scale (the surface of the paper's Figure 2 seen from the side).
     */
    static JFreeChart heatmap(Grid g, String title, String subtitle, String xLabel, String yLabel, String zLabel, double upper,
                              double[] rowMarks) {
        int n = g.rows() * g.cols();
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (int r = 0, i = 0; r < g.rows(); r++)
            for (int c = 0; c < g.cols(); c++, i++) {
                x[i] = (double) c * g.colBin();
                y[i] = (double) r * g.rowBin();
                z[i] = g.at(r, c);
            }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("|v|", new double[][]{x, y, z});
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setBlockWidth(g.colBin());
        renderer.setBlockHeight(g.rowBin());
        renderer.setBlockAnchor(RectangleAnchor.BOTTOM_LEFT);
        Viridis scale = new Viridis(0, upper);
        renderer.setPaintScale(scale);
        NumberAxis xAxis = axis(xLabel, true), yAxis = axis(yLabel, true);
        xAxis.setRange(0, g.srcCols());
        yAxis.setRange(0, g.srcRows());
        yAxis.setInverted(true);
        XYPlot heat = new XYPlot(data, null, yAxis, renderer);
        heat.setDomainGridlinesVisible(false);
        heat.setRangeGridlinesVisible(false);
        heat.setAxisOffset(RectangleInsets.ZERO_INSETS);
        for (double m : rowMarks) heat.addRangeMarker(new org.jfree.chart.plot.ValueMarker(m, Color.WHITE, new BasicStroke(1f)));
        // the profile above: max over rows of each column, on the same scale as the colours (a side view of the surface)
        org.jfree.data.xy.XYSeries profile = new org.jfree.data.xy.XYSeries("max", false, true);
        float[] colMax = g.columnMax();
        for (int c = 0; c < g.cols(); c++) {
            profile.add((double) c * g.colBin(), colMax[c]);
            profile.add(Math.min((double) (c + 1) * g.colBin(), g.srcCols()), colMax[c]);
        }
        org.jfree.chart.renderer.xy.XYAreaRenderer area = new org.jfree.chart.renderer.xy.XYAreaRenderer();
        area.setSeriesPaint(0, new Color(0x3b528b));
        NumberAxis pAxis = axis("max", false);
        pAxis.setRange(0, scale.getUpperBound());
        XYPlot top = new XYPlot(new org.jfree.data.xy.XYSeriesCollection(profile), null, pAxis, area);
        top.setDomainGridlinesVisible(false);
        top.setRangeGridlinePaint(GRID);
        top.setBackgroundPaint(Color.WHITE);
        top.setAxisOffset(RectangleInsets.ZERO_INSETS);
        org.jfree.chart.plot.CombinedDomainXYPlot plot = new org.jfree.chart.plot.CombinedDomainXYPlot(xAxis);
        plot.setGap(4);
        plot.add(top, 1);
        plot.add(heat, 4);
        JFreeChart c = chart(title, plot, false);
        subtitle(c, subtitle);
        NumberAxis zAxis = axis(zLabel, false);
        zAxis.setRange(0, scale.getUpperBound());
        PaintScaleLegend bar = new PaintScaleLegend(scale, zAxis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        bar.setStripWidth(14);
        bar.setSubdivisionCount(128);
        bar.setAxisOffset(4);
        bar.setMargin(new RectangleInsets(8, 10, 8, 0));
        bar.setBackgroundPaint(Color.WHITE);
        bar.setStripOutlineVisible(true);
        c.addSubtitle(bar);
        return c;
    }

    static BufferedImage render(JFreeChart c, int width, int height) {
        return c.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
    }

    /** Charts stacked top to bottom, each panelHeight high, on one image. */
    static BufferedImage stack(List<JFreeChart> charts, int width, int panelHeight) {
        BufferedImage img = new BufferedImage(width, panelHeight * charts.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            for (int i = 0; i < charts.size(); i++)
                charts.get(i).draw(g, new Rectangle2D.Double(0, (double) i * panelHeight, width, panelHeight));
            if (charts.size() > 1) {
                g.setColor(GRID);
                g.setStroke(new BasicStroke(1f));
                for (int i = 1; i < charts.size(); i++) g.drawLine(0, i * panelHeight, width, i * panelHeight);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    static void writePng(BufferedImage img, Path file) throws IOException {
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer in this JDK");
    }

    /** max/median as "12.3x", or "inf" where the median channel is 0. */
    static String ratio(double r) {
        return Double.isFinite(r) ? String.format(Locale.ROOT, "%.1fx", r) : "inf";
    }

    static String fmt(double v) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 1000 || a < 0.01 ? "%.3g" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", v);
    }
}
