package sq.export;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sq.eval.Windows;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.io.InputException;
import sq.kernels.Int8Kernels;
import sq.model.KvCache;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Linear;
import sq.quant.Scheme;
import sq.quant.SmoothQuant;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A compressed-tensors folder's int8 weights used in place in the mapped file ({@link CompressedTensorsReader#loadMapped})
 * give the logits of the same weights copied onto the heap ({@link CompressedTensorsReader#load}) bit for bit: prefill
 * (the GEMM) and decode steps (the GEMV), on the pure-Java and the native kernels, with float and int8 ends.
 */
class MappedInt8WeightsTest {
    @TempDir
    Path tmp;

    private Int8Kernels.State kernels;

    @BeforeEach
    void remember() {
        kernels = Int8Kernels.state();
    }

    @AfterEach
    void restore() {
        Int8Kernels.restore(kernels);
    }

    /** ./sq quantize's output for a tiny fixture model, and a window of its calibration text. */
    private record Folder(Path dir, int[] ids) {
    }

    private Folder write(String arch, String schemeName) throws Exception {
        Path src = Fixtures.bundled("tiny/" + arch);
        Model fp32 = ModelLoader.load(src);
        Tokenizer tok = Tokenizer.load(src.resolve("tokenizer.json"));
        Windows calib = Windows.of(tok.encode(Files.readString(Fixtures.bundled("text/calib.txt"), StandardCharsets.UTF_8)), 24, 0, 2, "calib");
        SmoothQuant.Result r = SmoothQuant.quantize(fp32, calib, 0.5f, Scheme.parse(schemeName), w -> { });
        Path out = tmp.resolve(arch + "-" + schemeName);
        AtomicOutput.writeDir(out, false, d -> CompressedTensorsWriter.write(r, src,
                new CompressedTensorsWriter.Provenance(arch, "calib.txt", 48, null, null, null), d));
        return new Folder(out, calib.window(1));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"llama,O1", "qwen2,O3", "opt,w8a8"})
    void mappedWeightsGiveTheLogitsOfHeapWeights(String arch, String scheme) throws Exception {
        Folder f = write(arch, scheme);
        List<Int8Kernels.Mode> modes = new ArrayList<>(List.of(Int8Kernels.Mode.JAVA));
        if (Int8Kernels.nativeAvailable()) modes.add(Int8Kernels.Mode.NATIVE);
        else System.out.println("SKIPPED: the native half of " + arch + " " + scheme + ": no native int8 kernels here");
        try (Checkpoint c = Checkpoint.open(f.dir())) {
            Model heap = CompressedTensorsReader.load(c).model(), mapped = CompressedTensorsReader.loadMapped(c).model();
            Int8Linear onHeap = (Int8Linear) heap.layers().getFirst().q, inFile = (Int8Linear) mapped.layers().getFirst().q;
            assertThat(onHeap.weights().mapped()).isNull();
            assertThat(inFile.weights().mapped()).isNotNull();
            assertThat(inFile.weights().mapped().bytes().isMapped()).isTrue();
            assertThat(inFile.weights().q()).containsExactly(onHeap.weights().q());
            for (Int8Kernels.Mode mode : modes) {
                Int8Kernels.select(mode, "the test");
                for (HeadPrecision head : HeadPrecision.values()) {
                    assertThat(run(head.real(mapped), f.ids())).as("%s, head %s", mode, head.id)
                            .isEqualTo(run(head.real(heap), f.ids()));
                }
            }
        }
    }

    /** Prefill logits of all but the last 3 ids, then one decode step per remaining id: the logits of each, in order. */
    private static float[][] run(Model m, int[] ids) {
        Transformer t = new Transformer(m, true);
        KvCache cache = t.newCache(ids.length);
        int prompt = ids.length - 3;
        float[][] out = new float[4][];
        out[0] = t.forward(Arrays.copyOf(ids, prompt), cache, true);
        for (int i = prompt; i < ids.length; i++) out[1 + i - prompt] = t.forward(new int[]{ids[i]}, cache, false);
        return out;
    }

    /** A shard truncated while its weights are mapped is named before the kernels read the lost pages (no SIGBUS). */
    @Test
    void aShardTruncatedUnderMappedWeightsIsOneLine() throws Exception {
        Folder f = write("llama", "O1");
        Path shard = f.dir().resolve("model.safetensors");
        assertThat(shard).exists();
        List<Int8Kernels.Mode> modes = new ArrayList<>(List.of(Int8Kernels.Mode.JAVA));
        if (Int8Kernels.nativeAvailable()) modes.add(Int8Kernels.Mode.NATIVE);
        for (Int8Kernels.Mode mode : modes) {
            Path copy = Files.createDirectories(tmp.resolve("cut-" + mode));
            try (var files = Files.list(f.dir())) {
                for (Path p : files.toList()) Files.copy(p, copy.resolve(p.getFileName()));
            }
            Int8Kernels.select(mode, "the test");
            try (Checkpoint c = Checkpoint.open(copy)) {
                Model m = CompressedTensorsReader.loadMapped(c).model();
                Transformer t = new Transformer(m, true);
                t.forward(f.ids(), t.newCache(f.ids().length), false); // runs while the file is whole
                try (RandomAccessFile raf = new RandomAccessFile(copy.resolve("model.safetensors").toFile(), "rw")) {
                    raf.setLength(4096);
                }
                Thread.sleep(5); // past the check's interval
                assertThatThrownBy(() -> t.forward(f.ids(), t.newCache(f.ids().length), false)).as("%s", mode)
                        .isInstanceOf(InputException.class)
                        .hasMessageStartingWith(copy.resolve("model.safetensors").toString())
                        .hasMessageContaining("changed on disk while in use: 4096 bytes now");
            }
        }
    }
}
