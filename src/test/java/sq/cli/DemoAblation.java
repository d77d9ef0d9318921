package sq.cli;

import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.model.Layer;
import sq.model.LayerSource;
import sq.model.Linear;
import sq.model.Model;
import sq.model.Transformer;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
import sq.quant.FakeQuantizer;
import sq.quant.Scheme;
import sq.quant.Smoother;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the demo's remaining W8A8 error comes from (a tool, not a test): perplexity of the twin (or, with
 * -Doriginal=true, stories260K) with only the linears matching each -Dwhich pattern fake-quantized, naive and smoothed,
 * with and without the int8 BMMs (q/k/v outputs); -DbmmOnly=q_proj,k_proj,v_proj quantizes every linear and the BMM
 * input of one of them only. Other knobs: -Dalpha, -Dsmooth=REFERENCE|EXTENDED, -Dattention=ALPHA (SmoothAttention on top), -Dbmm=true|false|both, -DevalFirst (first evaluation window),
 * -Dcalib (windows from 100), -Dwindows,
 * -Dschemes. Run with the test classpath, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat cp.txt) -Dsmooth=EXTENDED sq.cli.DemoAblation}.
 */
public class DemoAblation {
    public static void main(String[] a) throws Exception {
        LoadedModel m = LoadedModel.load(Path.of("models/stories260K"), null);
        Path text = Path.of("models/stories260K/tinystories-val-head.txt");
        int[] ids = m.tokenizer().encode(TextFiles.read(text));
        int nw = Integer.getInteger("windows", 40);
        Windows eval = Windows.of(ids, 256, Integer.getInteger("evalFirst", 0), nw, "x");
        Windows calib = Windows.of(ids, 256, 100, Integer.getInteger("calib", 16), "x");
        boolean twin = !Boolean.getBoolean("original");
        Model fp = twin ? Demo.twin(m.model()).model() : m.model();
        ActivationStats stats = Calibrator.calibrate(LayerSource.of(fp), calib, w -> { });
        float alpha = Float.parseFloat(System.getProperty("alpha", "0.85"));
        double f = ppl(fp, eval);
        System.out.printf("fp32 %.4f%n", f);
        Model sm = Smoother.smooth(fp, stats, g -> alpha, sq.model.SmoothingGroup.Groups.valueOf(System.getProperty("smooth", "REFERENCE"))).model();
        String attention = System.getProperty("attention");
        if (attention != null) sm = sq.quant.SmoothAttention.smooth(sm, stats, Float.parseFloat(attention)).model();
        ActivationStats sst = Calibrator.calibrate(LayerSource.of(sm), calib, w -> { });
        String bmmOnly = System.getProperty("bmmOnly");
        if (bmmOnly != null) {
            for (String sn : System.getProperty("schemes", "O2,O3").split(",")) {
                Scheme s0 = Scheme.parse(sn);
                Scheme off = new Scheme(s0.name(), s0.weights(), s0.groupSize(), s0.activations(), false, s0.description());
                for (String which : bmmOnly.split(",")) {
                    Pattern p = Pattern.compile(".*(" + which + ").*");
                    Model mix = select(FakeQuantizer.quantize(sm, off, sst), FakeQuantizer.quantize(sm, s0, sst), p);
                    double v = ppl(mix, eval);
                    System.out.printf("%s bmm only on %-20s sq %.4f %+.2f%%%n", sn, which, v, 100 * (v / f - 1));
                }
            }
            return;
        }
        for (String sn : System.getProperty("schemes", "O2,O3").split(",")) {
            Scheme s0 = Scheme.parse(sn);
            for (boolean bmm : System.getProperty("bmm", "both").equals("both") ? new boolean[]{true, false}
                    : new boolean[]{Boolean.parseBoolean(System.getProperty("bmm"))}) {
                Scheme s = new Scheme(s0.name(), s0.weights(), s0.groupSize(), s0.activations(), bmm, s0.description());
                for (String which : System.getProperty("which", "all,q_proj|k_proj|v_proj,o_proj,gate_proj|up_proj,down_proj").split(",")) {
                    Pattern p = Pattern.compile(which.equals("all") ? ".*" : ".*(" + which + ").*");
                    for (var pair : List.of(new Object[]{"naive", fp, stats}, new Object[]{"sq", sm, sst})) {
                        Model base = (Model) pair[1];
                        Model q = FakeQuantizer.quantize(base, s, (ActivationStats) pair[2]);
                        Model mix = select(base, q, p);
                        double v = ppl(mix, eval);
                        System.out.printf("%s bmm=%s %-28s %-5s %.4f %+.2f%%%n", sn, bmm, which, pair[0], v, 100 * (v / f - 1));
                    }
                }
            }
        }
    }

    static Model select(Model base, Model q, Pattern p) {
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < base.layers().size(); l++) {
            Layer ql = q.layers().get(l);
            layers.add(base.layers().get(l).map(n -> n, x -> p.matcher(x.name()).matches() ? ql.linear(x.name()) : x));
        }
        return base.withLayers(layers);
    }

    static double ppl(Model m, Windows w) {
        return Perplexity.evaluate(new Transformer(m), w, i -> { }).ppl();
    }
}
