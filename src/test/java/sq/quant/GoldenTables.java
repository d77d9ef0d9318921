package sq.quant;

import com.fasterxml.jackson.databind.JsonNode;
import sq.eval.EvalTable;
import sq.eval.Windows;
import sq.io.Json;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Model;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the golden-reproduction tests: fixture texts as windows, the outlier twin, result lookups. */
final class GoldenTables {
    private GoldenTables() {
    }

    static Windows windows(Tokenizer tok, Path text, int first, int count) throws java.io.IOException {
        String s = new String(Files.readAllBytes(text), StandardCharsets.UTF_8);
        return Windows.of(tok.encode(s), 256, first, count, text.toString());
    }

    /**
     * The fixtures' outlier twin of llama-8m: channels 31, 78, 150 of input_layernorm x32 (q/k/v input columns /32)
     * and of post_attention_layernorm x16 (gate/up columns /16). Powers of two: the fp32 function is unchanged.
     */
    static Model outlierTwin(Model m) {
        int[] channels = {31, 78, 150};
        List<Layer> layers = new ArrayList<>();
        for (Layer l : m.layers()) {
            float[] attn = new float[l.attnNorm.weight().length], mlp = new float[l.mlpNorm.weight().length];
            java.util.Arrays.fill(attn, 1f);
            java.util.Arrays.fill(mlp, 1f);
            for (int c : channels) {
                attn[c] = 32f;
                mlp[c] = 16f;
            }
            float[] invAttn = inverse(attn), invMlp = inverse(mlp);
            layers.add(new Layer(Smoother.divide(l.attnNorm, invAttn), null, null, Smoother.divide(l.mlpNorm, invMlp),
                    Smoother.scaleColumns((DenseLinear) l.q, invAttn), Smoother.scaleColumns((DenseLinear) l.k, invAttn),
                    Smoother.scaleColumns((DenseLinear) l.v, invAttn), l.o, Smoother.scaleColumns((DenseLinear) l.gate, invMlp),
                    Smoother.scaleColumns((DenseLinear) l.up, invMlp), l.down));
        }
        return new Model(m.config(), m.embed(), m.positions(), layers, m.finalNorm(), m.lmHead());
    }

    private static float[] inverse(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = 1f / a[i];
        return r;
    }

    /** golden ppl of a table row: results.json ppl[smoothing][row] with smoothing none | a0.50 | a0.85. */
    static double golden(JsonNode results, EvalTable.Row r) {
        String smoothing = r.alpha() == null ? "none" : String.format("a%.2f", (Float) r.alpha());
        String row = switch (r.scheme()) {
            case "w8a8" -> "O1-like fine";
            default -> r.scheme();
        };
        return results.get("ppl").get(smoothing).get(row).asDouble();
    }

    static JsonNode results(Path golden) {
        return Json.read(golden.resolve("results.json"));
    }

}
