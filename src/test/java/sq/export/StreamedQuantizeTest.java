package sq.export;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sq.eval.Windows;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
import sq.quant.LayerPipeline;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streamed pipeline (one decoder layer at a time from the memory-mapped checkpoint) against the whole-model path
 * (everything loaded in fp32, then SmoothQuant.quantize and the writer): every output file byte for byte, and the
 * calibration statistics as saved, on the bundled model, the trained fixture and zoo architectures (fused q/k/v,
 * sandwich norms, parallel blocks, transposed Conv1D weights with learned positions); BF16 embeddings and lm_head
 * (llama-8m: untied) are looked up and copied from the mapped file, not widened, as `quantize` does.
 */
class StreamedQuantizeTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({
            "bundled, stories260K, O3", "shared, trained/llama-8m, O1", "shared, zoo/llama3, O3",
            "shared, zoo/gemma2, w8a8", "shared, zoo/phi3, O3", "shared, zoo/falcon-7b, w8a8", "shared, zoo/gpt2, O3"})
    void streamedOutputIsByteIdenticalToTheWholeModelPath(String where, String name, String schemeName) throws Exception {
        Path src = where.equals("bundled") ? Fixtures.bundled(name) : Fixtures.shared(name);
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        String text = Files.readString(Fixtures.bundled("text/calib.txt"), StandardCharsets.UTF_8);
        Windows calib = Windows.of(tok.encode(text), 32, 0, 2, "calib");
        Scheme scheme = Scheme.parse(schemeName);
        var prov = new CompressedTensorsWriter.Provenance(name, "calib.txt", 64, null, null, null);

        Model model = ModelLoader.load(src);
        SmoothQuant.Result whole = SmoothQuant.quantize(model, calib, 0.5f, scheme, w -> { });
        Path a = tmp.resolve("whole"), b = tmp.resolve("streamed");
        AtomicOutput.writeDir(a, false, d -> CompressedTensorsWriter.write(whole, src, prov, d));
        ActivationStats streamedCalibration;
        try (Checkpoint ckpt = Checkpoint.open(src)) {
            ModelLoader source = new ModelLoader(ckpt).mapBf16Ends().checkTensors(); // BF16 tables used where they lie, as quantize does
            assertThat(LayerPipeline.streams(source.config(), 0.5f)).isTrue();
            AtomicOutput.writeDir(b, false, d -> {
                CompressedTensorsWriter w = CompressedTensorsWriter.open(source.config(), scheme, src, d);
                w.finish(LayerPipeline.run(source, calib, 0.5f, scheme, w, i -> { }), prov);
            });
            streamedCalibration = Calibrator.calibrate(source, calib, i -> { });
        }
        List<Path> files;
        try (var list = Files.list(a)) {
            files = list.sorted().toList();
        }
        try (var list = Files.list(b)) {
            assertThat(list.map(p -> p.getFileName().toString()).sorted().toList())
                    .isEqualTo(files.stream().map(p -> p.getFileName().toString()).toList());
        }
        for (Path f : files)
            assertThat(Files.readAllBytes(b.resolve(f.getFileName()))).as(f.getFileName().toString()).isEqualTo(Files.readAllBytes(f));

        // calibrate: from the mapped checkpoint vs from the model in memory, as the .safetensors calibrate writes
        whole.stats().save(tmp.resolve("whole.safetensors"));
        streamedCalibration.save(tmp.resolve("streamed.safetensors"));
        assertThat(Files.readAllBytes(tmp.resolve("streamed.safetensors"))).isEqualTo(Files.readAllBytes(tmp.resolve("whole.safetensors")));
    }
}
