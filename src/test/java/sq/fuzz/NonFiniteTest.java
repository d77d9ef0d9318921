package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.io.InputException;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;
import sq.model.DenseLinear;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * NaN and infinities never reach a perplexity silently: in weights they stop loading (HostileInputsTest has the file
 * cases), in activations they stop evaluation and calibration with the window and position.
 */
class NonFiniteTest {
    @TempDir
    Path tmp;

    static final Path TINY = Fixtures.bundled("tiny/llama");
    static final Path TEXT = Fixtures.bundled("text/tinystories-val.txt");

    @Test
    void perplexityStopsAtTheFirstNonFiniteLogit() {
        Model m = ModelLoader.load(TINY);
        ((DenseLinear) m.layers().get(1).down).weight()[7] = Float.NaN;
        Tokenizer tok = Tokenizer.load(TINY.resolve("tokenizer.json"));
        Windows w = Windows.of(tok.encode("Once upon a time there was a cat. ".repeat(40)), 32, 1, 2, "text");
        assertThatThrownBy(() -> Perplexity.evaluate(new Transformer(m), w, i -> { }))
                .isInstanceOf(InputException.class)
                .hasMessageStartingWith("evaluation stopped: logit NaN at window 1, position 0, vocabulary entry 0");
    }

    /** A norm with finite bfloat16 weights at the top of the range: its output overflows to infinity, then NaN. */
    private Path overflowingModel() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("overflow"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve("model.safetensors"))) {
            for (TensorSlice t : f.tensors().values()) {
                byte[] raw = t.data().toArray(ValueLayout.JAVA_BYTE);
                if (t.name().equals("model.layers.0.input_layernorm.weight"))
                    for (int i = 0; i < raw.length; i += 2) {
                        raw[i] = (byte) 0x7f; // bf16 0x7f7f = 3.39e38, the largest finite value
                        raw[i + 1] = 0x7f;
                    }
                w.add(t.name(), t.dtype(), t.shape(), raw);
            }
        }
        w.write(dir.resolve("model.safetensors"));
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(TINY.resolve(f), dir.resolve(f));
        return dir;
    }

    @Test
    void pplCommandReportsOverflowingActivations() throws Exception {
        Path dir = overflowingModel();
        String e = cli("ppl", "--model", dir.toString(), "--text", TEXT.toString(), "--windows", "2", "--window", "32", "--quiet");
        assertThat(e).startsWith("sq: evaluation stopped: logit ").contains(" at window 0, position 0, vocabulary entry ");
    }

    @Test
    void calibrateCommandReportsOverflowingActivations() throws Exception {
        Path dir = overflowingModel();
        String e = cli("calibrate", "--model", dir.toString(), "--calib", TEXT.toString(), "--calib-windows", "2", "--calib-window", "32",
                "--out", tmp.resolve("s.safetensors").toString(), "--quiet");
        assertThat(e).startsWith("sq: calibration stopped: ").contains("model.layers.").contains("window 0, token 0");
        assertThat(tmp.resolve("s.safetensors")).doesNotExist();
    }

    private static String cli(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.rc()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        return r.errLines().getFirst();
    }
}
