package sq.export;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sq.eval.Windows;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Linear;
import sq.quant.Int8Quantizer;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** quantize -> write -> load gives exactly the logits of the in-memory int8 model. */
class CompressedTensorsRoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"llama,w8a8", "llama,O3", "qwen2,O1", "opt,O2", "qwen3,O3"})
    void roundTripIsExact(String arch, String schemeName) throws Exception {
        Path src = Fixtures.bundled("tiny/" + arch);
        Model fp32 = ModelLoader.load(src);
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        Windows calib = Windows.of(tok.encode(Files.readString(Fixtures.bundled("text/calib.txt"), StandardCharsets.UTF_8)), 64, 0, 2, "calib");
        Scheme scheme = Scheme.parse(schemeName);
        SmoothQuant.Result r = SmoothQuant.quantize(fp32, calib, 0.5f, scheme, w -> { });
        Model inMemory = Int8Quantizer.quantize(r.smoothed(), scheme, r.smoothedStats(), HeadPrecision.FP32);
        Path out = tmp.resolve("q");
        AtomicOutput.writeDir(out, false, d -> CompressedTensorsWriter.write(r, src,
                new CompressedTensorsWriter.Provenance(arch, "calib.txt", 128, null, null, null), d));
        Model loaded;
        try (Checkpoint c = Checkpoint.open(out)) {
            loaded = CompressedTensorsReader.load(c).model();
        }
        assertThat(loaded.layers().getFirst().q).isInstanceOf(Int8Linear.class);
        int[] ids = calib.window(1);
        assertThat(logits(loaded, ids)).containsExactly(logits(inMemory, ids));
        // the int8 engine's default ends: quantized on load just as in memory
        assertThat(logits(HeadPrecision.INT8.real(loaded), ids))
                .containsExactly(logits(Int8Quantizer.quantize(r.smoothed(), scheme, r.smoothedStats(), HeadPrecision.INT8), ids));
    }

    /** Formats the int8 engine cannot run are refused with the reason; missing or misshapen scales name the tensor. */
    @org.junit.jupiter.api.Test
    void unsupportedOrBrokenCheckpointsAreRefused() throws Exception {
        Path src = Fixtures.bundled("tiny/llama");
        Model fp32 = ModelLoader.load(src);
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        Windows calib = Windows.of(tok.encode(Files.readString(Fixtures.bundled("text/calib.txt"), StandardCharsets.UTF_8)), 64, 0, 1, "calib");
        SmoothQuant.Result r = SmoothQuant.quantize(fp32, calib, 0.5f, Scheme.parse("w8a8"), w -> { });
        Path good = tmp.resolve("good");
        AtomicOutput.writeDir(good, false, d -> CompressedTensorsWriter.write(r, src,
                new CompressedTensorsWriter.Provenance("llama", "calib.txt", 64, null, null, null), d));
        String config = Files.readString(good.resolve("config.json"));
        expectRefused(good, "4bit", config.replaceFirst("\"num_bits\" : 8", "\"num_bits\" : 4"), "only int8 runs here");
        expectRefused(good, "asym", config.replaceFirst("\"symmetric\" : true", "\"symmetric\" : false"), "asymmetric");
        // scales of the wrong shape: per-tensor declared, per-channel stored
        expectRefused(good, "shape", config.replaceFirst("\"strategy\" : \"channel\"", "\"strategy\" : \"tensor\""),
                "'model.layers.0.self_attn.q_proj.weight_scale' has shape [64, 1], expected [1]");
    }

    private void expectRefused(Path good, String name, String config, String fragment) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(name));
        try (var files = Files.list(good)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Files.writeString(dir.resolve("config.json"), config);
        try (Checkpoint c = Checkpoint.open(dir)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> CompressedTensorsReader.load(c))
                    .isInstanceOf(sq.io.InputException.class).hasMessageContaining(fragment);
        }
    }

    private static float[] logits(Model m, int[] ids) {
        Transformer t = new Transformer(m, true);
        return t.forward(ids, t.newCache(ids.length), true);
    }
}
