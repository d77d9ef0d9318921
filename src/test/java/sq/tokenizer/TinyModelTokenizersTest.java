package sq.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The tokenizer.json of every tiny model folder loads and is the bpe4k tokenizer it was built from. */
class TinyModelTokenizersTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "tiny/llama,  bpe4k-gpt2",
            "tiny/opt,    bpe4k-gpt2",
            "tiny/qwen2,  bpe4k-qwen",
            "tiny/qwen3,  bpe4k-qwen",
            "stories260K, sp512-stories",
    })
    void loadsFromTheModelFolder(String folder, String sameAs) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(Fixtures.path(folder)); // the folder, not the file
        Tokenizer reference = Fixtures.tokenizer(sameAs);
        assertThat(tokenizer.vocabSize()).isEqualTo(reference.vocabSize());
        for (GoldenTest.Golden g : GoldenTest.goldens()) {
            if (g.tokenizer().equals(sameAs)) {
                assertThat(tokenizer.encode(g.text())).as(g.text()).containsExactly(g.ids());
                assertThat(tokenizer.decode(g.ids())).isEqualTo(g.decoded());
            }
        }
    }
}
