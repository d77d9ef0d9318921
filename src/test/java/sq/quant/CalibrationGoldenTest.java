package sq.quant;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.eval.Windows;
import sq.io.InputException;
import sq.io.Json;
import sq.io.SafetensorsFile;
import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Calibration (act_scales and static scales) against the goldens: relative error <= 1e-5. */
class CalibrationGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"opt", "llama", "qwen2", "qwen3"})
    void tinyActScales(String arch) throws Exception {
        Path dir = Fixtures.bundled("tiny/" + arch);
        Model model = ModelLoader.load(dir);
        Windows w = GoldenTables.windows(Tokenizer.load(dir.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, 4);
        ActivationStats stats = Calibrator.calibrate(model, w, i -> { });
        try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            stats.entries().forEach((name, e) ->
                    SmoothingGoldenTest.assertClose(e.channelMax(), g.get("act_scales." + name).toFloats(), 1e-5, name));
            assertThat(stats.entries()).hasSize((int) g.tensors().keySet().stream().filter(k -> k.startsWith("act_scales.")).count());
        }
    }

    @Test
    void stories260kActAndStaticScales() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        check(ModelLoader.load(dir), Tokenizer.load(dir.resolve("tokenizer.json")), Fixtures.bundled("text/tinystories-val.txt"), 100, dir.resolve("golden"));
    }

    @Test
    void llama8mActAndStaticScales() throws Exception {
        Path dir = Fixtures.shared("trained/llama-8m");
        check(ModelLoader.load(dir), Tokenizer.load(dir.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, dir.resolve("golden"));
    }

    private static void check(Model model, Tokenizer tok, Path text, int first, Path golden) throws Exception {
        Windows w = GoldenTables.windows(tok, text, first, 16);
        ActivationStats stats = Calibrator.calibrate(model, w, i -> { });
        try (SafetensorsFile g = SafetensorsFile.open(golden.resolve("act_scales.safetensors"))) {
            assertThat(stats.entries().keySet()).containsExactlyInAnyOrderElementsOf(g.tensors().keySet());
            stats.entries().forEach((name, e) -> SmoothingGoldenTest.assertClose(e.channelMax(), g.get(name).toFloats(), 1e-5, name));
        }
        checkStatic(stats, Json.read(golden.resolve("static_scales.json")));
        // static scales of the smoothed models (what O3 uses on the smoothed rows)
        for (String alpha : new String[]{"0.50", "0.85"}) {
            Model smoothed = Smoother.smooth(model, stats, Float.parseFloat(alpha)).model();
            checkStatic(Calibrator.calibrate(smoothed, w, i -> { }), Json.read(golden.resolve("static_scales_a" + alpha + ".json")));
        }
    }

    private static void checkStatic(ActivationStats stats, JsonNode golden) {
        golden.fields().forEachRemaining(e -> {
            ActivationStats.Entry got = stats.get(e.getKey());
            double in = e.getValue().get("input").asDouble();
            assertThat((double) got.inputMax()).as(e.getKey() + " input").isCloseTo(in, org.assertj.core.data.Offset.offset(1e-5 * in));
            if (e.getValue().has("output")) {
                double out = e.getValue().get("output").asDouble();
                assertThat((double) got.outputMax()).as(e.getKey() + " output").isCloseTo(out, org.assertj.core.data.Offset.offset(1e-5 * out));
            }
        });
    }

    /** Layer-by-layer calibration from the memory-mapped checkpoint sees exactly what whole forward passes see. */
    @Test
    void layerwiseFromCheckpointEqualsWholeForwardPasses() throws Exception {
        Path dir = Fixtures.bundled("tiny/qwen3");
        Model model = ModelLoader.load(dir);
        Windows w = GoldenTables.windows(Tokenizer.load(dir.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, 3);
        java.util.Map<String, float[]> seen = new java.util.HashMap<>();
        Transformer tf = new Transformer(model);
        tf.setObserver((linear, x, y, tokens) -> {
            float[] m = seen.computeIfAbsent(linear.name(), k -> new float[linear.in()]);
            for (int i = 0; i < tokens * linear.in(); i++) m[i % linear.in()] = Math.max(m[i % linear.in()], Math.abs(x[i]));
        });
        for (int i = 0; i < w.count(); i++) tf.forward(w.window(i), tf.newCache(w.length()), false);
        ActivationStats stats;
        try (sq.io.Checkpoint ckpt = sq.io.Checkpoint.open(dir)) {
            stats = Calibrator.calibrate(new ModelLoader(ckpt), w, i -> { });
        }
        assertThat(stats.entries().keySet()).containsExactlyInAnyOrderElementsOf(seen.keySet());
        seen.forEach((name, m) -> assertThat(stats.channelMax(name)).as(name).containsExactly(m));
    }

    @Test
    void statsSurviveSaveAndLoad(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dir = Fixtures.bundled("tiny/llama");
        Model model = ModelLoader.load(dir);
        Windows w = GoldenTables.windows(Tokenizer.load(dir.resolve("tokenizer.json")), Fixtures.bundled("text/calib.txt"), 0, 1);
        ActivationStats stats = Calibrator.calibrate(model, w, i -> { });
        stats.save(tmp.resolve("s.safetensors"));
        ActivationStats back = ActivationStats.load(tmp.resolve("s.safetensors"));
        assertThat(back.entries().keySet()).containsExactlyInAnyOrderElementsOf(stats.entries().keySet());
        stats.entries().forEach((k, e) -> {
            assertThat(back.get(k).channelMax()).containsExactly(e.channelMax());
            assertThat(back.get(k).inputMax()).isEqualTo(e.inputMax());
            assertThat(back.get(k).outputMax()).isEqualTo(e.outputMax(), org.assertj.core.data.Offset.offset(0f));
        });
    }

    @Test
    void nonFiniteActivationStopsCalibrationNamingLayerAndToken() {
        Model model = ModelLoader.load(Fixtures.bundled("tiny/llama"));
        List<Layer> layers = new ArrayList<>(model.layers());
        Layer l1 = layers.get(1);
        DenseLinear up = (DenseLinear) l1.up;
        float[] w = up.weight().clone();
        w[5] = Float.NaN;
        layers.set(1, new Layer(l1.attnNorm, null, null, l1.mlpNorm, l1.q, l1.k, l1.v, l1.o, l1.gate,
                new DenseLinear(up.name(), w, null, up.in(), up.out()), l1.down));
        Model broken = new Model(model.config(), model.embed(), null, layers, model.finalNorm(), model.lmHead());
        Windows win = Windows.of(new int[]{1, 2, 3, 4, 5, 6, 7, 8}, 4, 0, 2, "ids");
        assertThatThrownBy(() -> Calibrator.calibrate(broken, win, i -> { }))
                .isInstanceOf(InputException.class).hasMessageContaining("model.layers.1.mlp.down_proj")
                .hasMessageContaining("window 0, token 0");
    }
}
