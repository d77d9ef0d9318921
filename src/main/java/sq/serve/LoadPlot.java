package sq.serve;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The load test as a PNG: aggregate decode tokens/s (with the linear scaling of the single stream for scale) and
 * inter-token latency p50/p99 against concurrent streams, on a shared log2 axis.
 */
public final class LoadPlot {
    private LoadPlot() {
    }

    public static void write(List<LoadGenerator.Result> rows, String title, String subtitle, Path png) throws IOException {
        XYSeries agg = new XYSeries("aggregate decode tok/s"), linear = new XYSeries("1 stream x streams");
        XYSeries p50 = new XYSeries("inter-token p50 ms"), p99 = new XYSeries("inter-token p99 ms");
        double single = rows.stream().filter(r -> r.streams() == 1).mapToDouble(LoadGenerator.Result::aggregateTokS).findFirst().orElse(Double.NaN);
        for (LoadGenerator.Result r : rows) {
            agg.add(r.streams(), r.aggregateTokS());
            if (Double.isFinite(single)) linear.add(r.streams(), single * r.streams());
            p50.add(r.streams(), 1e3 * r.itlP50());
            p99.add(r.streams(), 1e3 * r.itlP99());
        }
        LogAxis x = new LogAxis("concurrent streams");
        x.setBase(2);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits(Locale.ROOT));
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(x);
        plot.add(panel("tokens/s", agg, linear), 1);
        plot.add(panel("ms", p50, p99), 1);
        JFreeChart c = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        c.setBackgroundPaint(Color.WHITE);
        c.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        BufferedImage img = c.createBufferedImage(800, 640, BufferedImage.TYPE_INT_RGB, null);
        sq.io.AtomicOutput.writeFile(png, true, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer in this JDK");
        });
    }

    private static XYPlot panel(String yLabel, XYSeries... series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (XYSeries x : series) data.addSeries(x);
        NumberAxis y = new NumberAxis(yLabel);
        y.setStandardTickUnits(NumberAxis.createStandardTickUnits(Locale.ROOT));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, new Color(0x1f77b4));
        r.setSeriesPaint(1, new Color(0xff7f0e));
        XYPlot p = new XYPlot(data, null, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        p.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        return p;
    }
}
