package sq.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.Json;
import sq.kernels.Int8Kernels;
import sq.kernels.NativeKernels;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `ppl --engine int8` on a compressed-tensors folder: with the native kernels the int8 weights are used in the mapped
 * shards, with the pure-Java kernels they are copied onto the heap (LoadedModel); the perplexity is the same number.
 */
class MappedInt8CliTest extends ConsoleCapture {
    @TempDir
    Path tmp;

    private final Int8Kernels.State kernels = Int8Kernels.state();

    @AfterEach
    void restore() {
        Int8Kernels.restore(kernels);
    }

    @Test
    void mappedAndHeapWeightsGiveTheSamePerplexity() throws Exception {
        NativeKernels.assume();
        Path model = Fixtures.bundled("tiny/llama"), folder = tmp.resolve("q");
        String text = Fixtures.bundled("text/calib.txt").toString();
        assertThat(Main.execute("quantize", "--model", model.toString(), "--calib", text, "--calib-windows", "2", "--calib-window", "32",
                "--alpha", "0.5", "--scheme", "O1", "--out", folder.toString(), "--quiet")).as(stderr()).isZero();
        double[] ppl = new double[2];
        String[] modes = {"native", "java"};
        for (int i = 0; i < 2; i++) {
            out.reset();
            assertThat(Main.execute("ppl", "--model", folder.toString(), "--text", text, "--windows", "2", "--window", "32", "--engine", "int8",
                    "--kernels", modes[i], "--json", "--quiet")).as(stderr()).isZero();
            ppl[i] = Json.MAPPER.readTree(stdout()).get("ppl").asDouble();
        }
        assertThat(ppl[0]).isEqualTo(ppl[1]);
    }
}
