package sq.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import sq.io.Json;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;

/** eval --smooth-attention: its rows say what was folded (and what was skipped, and why); a bad alpha is one line, exit 2. */
class EvalSmoothAttentionTest extends ConsoleCapture {

    private JsonNode smoothquantRow(String model, String... extra) throws Exception {
        String text = Fixtures.bundled("text/tinystories-val.txt").toString();
        String[] base = {"eval", "--model", Fixtures.bundled(model).toString(), "--calib", text, "--calib-windows", "2", "--calib-window", "64",
                "--text", text, "--window", "64", "--windows", "2", "--alpha", "0.5", "--schemes", "O3", "--no-baselines", "--json", "--quiet"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        out.reset();
        assertThat(Main.execute(args)).as(stderr()).isZero();
        for (JsonNode r : Json.MAPPER.readTree(stdout())) if (r.get("method").asText().equals("smoothquant")) return r;
        throw new AssertionError("no smoothquant row: " + stdout());
    }

    @Test
    void rowsSayWhatWasFolded() throws Exception {
        assertThat(smoothquantRow("tiny/llama", "--smooth-attention", "0.5").get("note").asText()).isEqualTo("smooth attention a=0.50");
        // Qwen3's per-head q/k norms: every layer left alone, with the reason
        assertThat(smoothquantRow("tiny/qwen3", "--smooth-attention", "0.5").get("note").asText())
                .startsWith("smooth attention a=0.50 (").contains("layers skipped: q/k norms after the projections");
        // off by default: the reference path unchanged
        assertThat(smoothquantRow("tiny/llama").has("note")).isFalse();
    }

    @Test
    void alphaOutsideTheUnitIntervalIsOneLine() {
        String text = Fixtures.bundled("text/tinystories-val.txt").toString();
        int rc = Main.execute("eval", "--model", Fixtures.bundled("tiny/llama").toString(), "--calib", text, "--text", text, "--smooth-attention", "1.5");
        assertThat(rc).isEqualTo(Main.USER_ERROR);
        assertThat(stderr().strip()).contains("--smooth-attention 1.5: give an alpha in [0, 1]").doesNotContain("\tat ");
    }
}
