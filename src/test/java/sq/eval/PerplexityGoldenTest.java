package sq.eval;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import sq.io.Json;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The fixtures' perplexity protocol reproduces the golden fp32 perplexities within 0.05% relative. */
class PerplexityGoldenTest {

    @Test
    void stories260k() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        check(dir, Fixtures.bundled("text/tinystories-val.txt"));
    }

    @Test
    void llama8m() throws Exception {
        Path dir = Fixtures.shared("trained/llama-8m");
        check(dir, Fixtures.bundled("text/wikitext2-test.txt"));
    }

    private static void check(Path dir, Path text) throws Exception {
        JsonNode results = Json.read(dir.resolve("golden/results.json"));
        double want = results.get("ppl").get("fp32").asDouble();
        int[] ids = Tokenizer.load(dir.resolve("tokenizer.json")).encode(new String(Files.readAllBytes(text), StandardCharsets.UTF_8));
        Perplexity.Result r = Perplexity.evaluate(new Transformer(ModelLoader.load(dir)), Windows.of(ids, 256, 0, 40, "text"), w -> { });
        System.out.printf("%s: ppl %.6f, golden %.6f%n", dir, r.ppl(), want);
        assertThat(r.predicted()).isEqualTo(40 * 255);
        assertThat(r.ppl()).isCloseTo(want, within(5e-4 * want));
        assertThat(r.meanNll()).isCloseTo(Math.log(want), within(1e-4));
    }
}
