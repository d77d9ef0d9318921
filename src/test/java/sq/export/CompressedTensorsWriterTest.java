package sq.export;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import sq.eval.Windows;
import sq.io.AtomicOutput;
import sq.io.DType;
import sq.io.Json;
import sq.io.SafetensorsFile;
import sq.model.DenseLinear;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.quant.FakeQuantLinear;
import sq.quant.Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CompressedTensorsWriterTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"w8a8", "O3"})
    void writesTheCompressedTensorsLayoutDeterministically(String schemeName) throws Exception {
        Path src = Fixtures.bundled("tiny/qwen2");
        Model model = ModelLoader.load(src);
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        String text = Files.readString(Fixtures.bundled("text/calib.txt"), StandardCharsets.UTF_8);
        Windows calib = Windows.of(tok.encode(text), 64, 0, 2, "calib");
        Scheme scheme = Scheme.parse(schemeName);
        SmoothQuant.Result r = SmoothQuant.quantize(model, calib, 0.5f, scheme, w -> { });
        var prov = new CompressedTensorsWriter.Provenance("qwen2", "calib.txt", 128, null, null, null);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        AtomicOutput.writeDir(a, false, d -> CompressedTensorsWriter.write(r, src, prov, d));
        AtomicOutput.writeDir(b, false, d -> CompressedTensorsWriter.write(r, src, prov, d));
        try (var files = Files.list(a)) {
            for (Path f : files.toList())
                assertThat(Files.readAllBytes(f)).as(f.getFileName().toString()).isEqualTo(Files.readAllBytes(b.resolve(f.getFileName())));
        }
        assertThat(a.resolve("tokenizer.json")).exists();
        assertThat(a.resolve("smoothquant.json")).exists();
        assertThat(Files.readString(a.resolve("README.md"))).contains("alpha | 0.50", scheme.name());

        JsonNode q = Json.read(a.resolve("config.json")).get("quantization_config");
        assertThat(q.get("quant_method").asText()).isEqualTo("compressed-tensors");
        assertThat(q.get("format").asText()).isEqualTo("int-quantized");
        JsonNode g = q.get("config_groups").get("group_0");
        boolean isStatic = schemeName.equals("O3");
        assertThat(g.get("weights").get("strategy").asText()).isEqualTo(isStatic ? "tensor" : "channel");
        assertThat(g.get("input_activations").get("strategy").asText()).isEqualTo(isStatic ? "tensor" : "token");
        assertThat(g.get("input_activations").get("dynamic").asBoolean()).isEqualTo(!isStatic);
        assertThat(q.get("ignore").get(0).asText()).isEqualTo("lm_head");

        try (SafetensorsFile f = SafetensorsFile.open(a.resolve("model.safetensors"))) {
            String p = "model.layers.1.self_attn.k_proj.";
            assertThat(f.get(p + "weight").dtype()).isEqualTo(DType.I8);
            assertThat(f.get(p + "weight_scale").shape()).containsExactly(isStatic ? new long[]{1} : new long[]{32, 1});
            assertThat(f.has(p + "input_scale")).isEqualTo(isStatic);
            assertThat(f.get(p + "bias").dtype()).isEqualTo(DType.F32); // qwen2 fixture is float32
            assertThat(f.get("model.layers.0.input_layernorm.weight").dtype()).isEqualTo(DType.F32);
            // int8 * scale is exactly the fake-quantized weight the simulation used
            byte[] w8 = f.get(p + "weight").toBytes();
            float[] scale = f.get(p + "weight_scale").toFloats();
            DenseLinear smoothed = (DenseLinear) r.smoothed().layers().get(1).k;
            float[] fake = Quantizer.weights(smoothed.weight(), 32, 64, scheme.weights(), 0);
            for (int i = 0; i < w8.length; i++) assertThat(w8[i] * scale[isStatic ? 0 : i / 64]).isEqualTo(fake[i]);
            if (isStatic)
                assertThat(f.get(p + "input_scale").toFloats()[0]).isEqualTo(Quantizer.scale(r.smoothedStats().get(smoothed.name()).inputMax()));
        }
        assertThat(r.quantized().layers().get(0).q).isInstanceOf(FakeQuantLinear.class);
    }
}
