package sq.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** fixtures/tokenizers/golden.json: 42 texts x 3 tokenizers, produced by HF tokenizers 0.23.2. */
class GoldenTest {
    record Golden(String tokenizer, int index, String text, int[] ids, List<String> tokens, String decoded) {
        @Override
        public String toString() {
            return tokenizer + " #" + index;
        }
    }

    static List<Golden> goldens() throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.path("tokenizers/golden.json").toFile());
        List<Golden> result = new ArrayList<>();
        int index = 0;
        String previous = "";
        for (JsonNode e : root) {
            String tokenizer = e.get("tokenizer").asText();
            index = tokenizer.equals(previous) ? index + 1 : 0;
            previous = tokenizer;
            List<String> tokens = new ArrayList<>();
            e.get("tokens").forEach(t -> tokens.add(t.asText()));
            int[] ids = IntStream.range(0, e.get("ids").size()).map(i -> e.get("ids").get(i).asInt()).toArray();
            result.add(new Golden(tokenizer, index, e.get("text").asText(), ids, tokens, e.get("decoded").asText()));
        }
        return result;
    }

    static Stream<Arguments> all() throws IOException {
        return goldens().stream().map(Arguments::of);
    }

    static Stream<Arguments> sp512() throws IOException {
        return goldens().stream().filter(g -> g.tokenizer().equals(Fixtures.SP512)).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void encodesLikeHf(Golden g) {
        Tokenizer tokenizer = Fixtures.tokenizer(g.tokenizer());
        int[] ids = tokenizer.encode(g.text());
        assertThat(ids).as("ids of %s", Arrays.toString(g.text().codePoints().toArray())).containsExactly(g.ids());
        assertThat(Arrays.stream(ids).mapToObj(tokenizer::token).toList()).isEqualTo(g.tokens());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void decodesLikeHf(Golden g) {
        assertThat(Fixtures.tokenizer(g.tokenizer()).decode(g.ids())).isEqualTo(g.decoded());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void streamingDecodeConcatenatesToDecode(Golden g) {
        Tokenizer tokenizer = Fixtures.tokenizer(g.tokenizer());
        TokenStreamDecoder stream = tokenizer.streamDecoder();
        StringBuilder printed = new StringBuilder();
        for (int id : g.ids()) {
            String piece = stream.next(id);
            assertThat(piece).doesNotEndWith("\uFFFD");
            printed.append(piece);
        }
        printed.append(stream.flush());
        assertThat(printed.toString()).isEqualTo(g.decoded());
    }

    @ParameterizedTest(name = "tok512.bin {0}")
    @MethodSource("sp512")
    void llama2cTokenizerMatchesSp512(Golden g) {
        Llama2cTokenizer tok512 = Fixtures.tok512();
        assertThat(tok512.encode(g.text())).containsExactly(g.ids());
        assertThat(tok512.decode(g.ids())).isEqualTo(g.decoded());
        assertThat(Arrays.stream(g.ids()).mapToObj(tok512::token).toList()).isEqualTo(g.tokens());
    }
}
