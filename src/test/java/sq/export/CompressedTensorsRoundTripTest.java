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
        Model inMemory = Int8Quantizer.quantize(r.smoothed(), scheme, r.smoothedStats());
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
    }

    private static float[] logits(Model m, int[] ids) {
        Transformer t = new Transformer(m, true);
        return t.forward(ids, t.newCache(ids.length), true);
    }
}
