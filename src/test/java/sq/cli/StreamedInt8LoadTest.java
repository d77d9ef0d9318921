package sq.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.eval.Bench;
import sq.io.DType;
import sq.io.Json;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The int8 engine built on load one layer at a time from the mapped checkpoint gives the same logits, bit for bit,
 * as today's path (whole model in fp32, then quantized); and bench runs a compressed-tensors folder's int8 weights.
 */
class StreamedInt8LoadTest extends ConsoleCapture {
    @TempDir
    Path tmp;

    private static final int[] IDS = {1, 5, 17, 300, 2, 9, 44, 101};

    @Test
    void streamedEqualsWholeModelOnBundledModels() throws IOException {
        for (Path dir : new Path[]{Fixtures.bundled("tiny/llama"), Fixtures.bundled("tiny/opt"), bf16Copy(Fixtures.bundled("tiny/llama"))})
            sameBothWays(dir);
    }

    @Test
    void streamedEqualsWholeModelOnTheTrainedShardedFixture() {
        sameBothWays(Fixtures.shared("trained/llama-8m"));
    }

    private static void sameBothWays(Path dir) {
        {
            for (HeadPrecision h : HeadPrecision.values()) {
                Scheme s = Scheme.parse("O1");
                Model whole = Int8Models.streamNaive(LayerSource.of(ModelLoader.load(dir)), s, h);
                LoadedModel m = LoadedModel.load(dir, null);
                Model streamed = m.streamed(src -> Int8Models.streamNaive(src, s, h));
                assertThat(logits(streamed, s)).as(dir + " head " + h).containsExactly(logits(whole, s));
            }
        }
    }

    private static float[] logits(Model m, Scheme s) {
        Transformer t = new Transformer(m, s.bmm());
        return t.forward(IDS, t.newCache(IDS.length), true);
    }

    /** The bundled tiny Llama with every tensor stored as bf16. */
    private Path bf16Copy(Path src) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("bf16"));
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(src.resolve(f), dir.resolve(f));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (TensorSlice t : f.tensors().values()) w.add(t.name(), DType.BF16, t.toFloats(), t.shape());
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    @Test
    void benchRunsACompressedTensorsFolderAsItIs() throws IOException {
        Path o1 = tmp.resolve("o1");
        Path src = Fixtures.bundled("tiny/llama");
        assertThat(Main.execute("quantize", "-m", src.toString(), "-o", o1.toString(), "--scheme", "O1", "--calib",
                Fixtures.bundled("text/tinystories-val.txt").toString(), "--calib-windows", "2", "--calib-window", "32", "--quiet"))
                .as(stderr()).isZero();
        out.reset();
        assertThat(Main.execute("bench", "--model", o1.toString(), "--engine", "int8", "--prompt", "8", "--gen", "4", "--json", "--quiet"))
                .as(stderr()).isZero();
        JsonNode r = Json.MAPPER.readTree(stdout());
        assertThat(r.get("scheme").asText()).isEqualTo("checkpoint");
        // bytes per decoded token: the int8 weights it holds with the int8 head (1 byte each, Bench.weightBytes),
        // not fp32 (4 each)
        Model held = HeadPrecision.INT8.real(LoadedModel.load(o1, null).model());
        assertThat(r.get("decode_bytes_per_token").asLong()).isEqualTo(Bench.weightBytes(held));
        long params = held.lmHead().in() * (long) held.lmHead().out();
        for (var l : held.layers()) for (var x : l.linears()) params += (long) x.in() * x.out();
        assertThat(Bench.weightBytes(held)).isLessThan(2 * params);
        err.reset();
        assertThat(Main.execute("bench", "--model", o1.toString(), "--prompt", "8", "--gen", "4", "--quiet")).isEqualTo(2);
        assertThat(stderr()).contains("this checkpoint is int8 (compressed-tensors); it runs on --engine int8");
    }
}
