package sq.quant;

import org.junit.jupiter.api.Test;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end: the real int8 engine (int8 linears, int8 attention BMMs and KV cache, int8 embeddings and lm_head as
 * it runs by default) against the fake-quantization simulation of the same scheme, perplexity within 0.3% relative.
 * "Same scheme" includes the attention and the ends: the simulation runs the same int8 attention (Int8LayerCache) on
 * its fake-quantized linears, and the same int8 embeddings and lm_head simulated in float
 * ({@link HeadPrecision#simulated}). Printed alongside: the reference's float attention and float ends on
 * fake-quantized q/k/v (the int8 BMMs' own cost: measured +0.0..0.5% on stories260K, whose head_dim of 8 makes
 * per-row scales coarse, and where per-tensor O2 moves by that much between alpha 0.45 and 0.55), and the int8 engine
 * with float ends (--head fp32), which must match the simulation with float ends just as closely.
 */
class Int8EngineTest {

    @Test
    void stories260k() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        Path text = Fixtures.bundled("text/tinystories-val.txt");
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        check("stories260K", ModelLoader.load(dir), GoldenTables.windows(tok, text, 100, 16), GoldenTables.windows(tok, text, 0, 40));
    }

    @Test
    void llama8m() throws Exception {
        Path dir = Fixtures.shared("trained/llama-8m");
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        check("llama-8m", ModelLoader.load(dir), GoldenTables.windows(tok, Fixtures.bundled("text/calib.txt"), 0, 16),
                GoldenTables.windows(tok, Fixtures.bundled("text/wikitext2-test.txt"), 0, 40));
    }

    private static void check(String name, Model fp32, Windows calib, Windows eval) {
        ActivationStats stats = Calibrator.calibrate(fp32, calib, i -> { });
        for (Scheme s : Scheme.PRESETS.values()) {
            SmoothQuant.Result r = SmoothQuant.quantize(fp32, stats, calib, 0.5f, s);
            double floatAttention = ppl(r.quantized(), false, eval);
            // the int8 engine's default: embeddings and lm_head in int8, simulated on the other side
            double simulated = ppl(HeadPrecision.INT8.simulated(r.quantized()), s.bmm(), eval);
            double real = ppl(Int8Quantizer.quantize(r.smoothed(), s, r.smoothedStats(), HeadPrecision.INT8), s.bmm(), eval);
            System.out.printf("%s %s alpha 0.5: simulated %.4f (float attention and ends %.4f), int8 engine %.4f (%+.3f%%)%n",
                    name, s.name(), simulated, floatAttention, real, 100 * (real / simulated - 1));
            assertThat(Math.abs(real / simulated - 1)).as(name + " " + s.name()).isLessThanOrEqualTo(3e-3);
        }
        // --head fp32: float ends on both sides
        Scheme s = Scheme.parse("w8a8");
        SmoothQuant.Result r = SmoothQuant.quantize(fp32, stats, calib, 0.5f, s);
        double simulated = ppl(r.quantized(), s.bmm(), eval);
        double real = ppl(Int8Quantizer.quantize(r.smoothed(), s, r.smoothedStats(), HeadPrecision.FP32), s.bmm(), eval);
        System.out.printf("%s w8a8 alpha 0.5, float ends: simulated %.4f, int8 engine %.4f (%+.3f%%)%n",
                name, simulated, real, 100 * (real / simulated - 1));
        assertThat(Math.abs(real / simulated - 1)).as(name + " w8a8, float ends").isLessThanOrEqualTo(3e-3);
    }

    private static double ppl(Model m, boolean int8Attention, Windows eval) {
        return Perplexity.evaluate(new Transformer(m, int8Attention), eval, i -> { }).ppl();
    }
}
