package sq.bert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.cli.Main;
import sq.io.Json;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** ./sq embed-eval: the JSON rows on a small run, and one-line errors (exit code 2) for bad models. */
class EmbedEvalCliTest extends ConsoleCapture {

    @TempDir
    Path tmp;

    @Test
    void jsonRowsForMiniLm() throws Exception {
        String text = Fixtures.bundled("text/wikitext2-test.txt").toString();
        int rc = Main.execute("embed-eval", "--model", "minilm", "--text", text, "--sentences", "24", "--calib-sentences", "16",
                "--alpha", "0.85,auto", "--search-tokens", "512", "--speed-sentences", "4", "--speed-rounds", "1", "--json", "--quiet");
        assertThat(rc).as(err.toString()).isZero();
        JsonNode rows = Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        List<String> methods = new ArrayList<>();
        for (JsonNode r : rows) {
            methods.add(r.get("method").asText());
            for (String key : List.of("model", "method", "scheme", "alpha", "mean_cos", "min_cos", "top10_overlap", "sentences_per_s"))
                assertThat(r.has(key)).as(key + " in " + r).isTrue();
        }
        assertThat(methods).containsExactly("fp32", "ort-fp32", "naive", "smoothquant", "smoothquant", "ort-q");
        JsonNode fp32 = rows.get(0);
        assertThat(fp32.get("min_cos").asDouble()).isGreaterThan(0.99999); // parity with ORT
        assertThat(fp32.get("sentences_per_s").asDouble()).isPositive();
        assertThat(rows.get(3).get("alpha").asDouble()).isEqualTo(0.85);
        assertThat(rows.get(4).get("alpha").asText()).isEqualTo("auto");
        assertThat(rows.get(3).get("sentences_per_s").asDouble()).isPositive(); // our int8
        assertThat(rows.get(5).get("model").asText()).isEqualTo("minilm-q");
        assertThat(rows.get(5).get("sentences_per_s").asDouble()).isPositive();
        for (int i = 2; i < 5; i++) assertThat(rows.get(i).get("mean_cos").asDouble()).isGreaterThan(0.99);
    }

    @Test
    void aGraphThatIsNotBertIsOneLineAndExitCode2() throws Exception {
        Path q = BertModels.known(BertModels.Known.MINILM_Q).onnx();
        Path dir = Files.createDirectories(tmp.resolve("q"));
        Files.copy(q, dir.resolve("model.onnx"));
        Files.copy(BertModels.known(BertModels.Known.MINILM_Q).tokenizer(), dir.resolve("tokenizer.json"));
        int rc = Main.execute("embed-eval", "--model", dir.toString(), "--text", Fixtures.bundled("text/wikitext2-test.txt").toString(), "--quiet");
        assertThat(rc).isEqualTo(2);
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(msg).startsWith("sq: " + dir.resolve("model.onnx") + ": not a BERT encoder graph:").doesNotContain("\n");
    }

    @Test
    void missingModelIsExitCode2() {
        int rc = Main.execute("embed-eval", "--model", tmp.resolve("nope.onnx").toString(), "--text", "x.txt", "--quiet");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nope.onnx").contains("no such file or folder");
    }
}
