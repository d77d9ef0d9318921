package sq.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import sq.testing.Fixtures;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tokenizers-real/golden.json: 154 texts for each of six real tokenizers (HF tokenizers 0.23.2): ids without and with
 * special tokens, and the decoded text, exactly.
 */
class RealGoldenTest {
    static JsonNode golden() throws IOException {
        return new ObjectMapper().readTree(Fixtures.shared("tokenizers-real/golden.json").toFile());
    }

    static int[] ints(JsonNode array) {
        return IntStream.range(0, array.size()).map(i -> array.get(i).asInt()).toArray();
    }

    @TestFactory
    List<DynamicNode> encodings() throws IOException {
        JsonNode sets = golden().get("sets");
        List<DynamicNode> containers = new ArrayList<>();
        for (RealTokenizers.Set set : RealTokenizers.SETS) {
            JsonNode encodings = sets.get(set.name()).get("encodings");
            List<DynamicTest> tests = new ArrayList<>();
            for (int i = 0; i < encodings.size(); i++) {
                JsonNode e = encodings.get(i);
                String text = e.get("text").asText();
                tests.add(DynamicTest.dynamicTest(set.name() + " #" + i, () -> {
                    Tokenizer t = RealTokenizers.tokenizer(set.name());
                    assertThat(t.encode(text)).as("ids of %s", text).containsExactly(ints(e.get("ids")));
                    assertThat(t.encodeWithSpecialTokens(text)).as("ids with special tokens of %s", text)
                            .containsExactly(ints(e.get("ids_with_special")));
                    assertThat(t.decode(ints(e.get("ids")))).as("decode of %s", text).isEqualTo(e.get("decoded").asText());
                }));
            }
            containers.add(DynamicContainer.dynamicContainer(set.name(), tests));
        }
        return containers;
    }
}
