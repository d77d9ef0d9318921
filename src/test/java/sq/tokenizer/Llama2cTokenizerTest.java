package sq.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.io.InputException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** tok512.bin (llama2.c) against sp512-stories/tokenizer.json, its HF conversion. */
class Llama2cTokenizerTest {
    private final Llama2cTokenizer tok512 = Fixtures.tok512();
    private final Tokenizer sp512 = Fixtures.tokenizer(Fixtures.SP512);

    @Test
    void onceUponATime() {
        int[] expected = {403, 407, 261, 378};
        assertThat(tok512.encode("Once upon a time")).containsExactly(expected);
        assertThat(sp512.encode("Once upon a time")).containsExactly(expected);
        assertThat(Tokenizer.load(Fixtures.path("stories260K/tok512.bin")).encode("Once upon a time")).containsExactly(expected);
        assertThat(tok512.decode(expected)).isEqualTo("Once upon a time");
    }

    @Test
    void vocabularyMatchesTheConversion() {
        assertThat(tok512.vocabSize()).isEqualTo(512).isEqualTo(sp512.vocabSize());
        for (int id = 0; id < 512; id++) {
            assertThat(tok512.token(id)).as("token %d", id).isEqualTo(sp512.token(id));
            assertThat(tok512.id(tok512.token(id))).hasValue(id);
        }
        assertThat(tok512.bosId()).hasValue(1);
        assertThat(tok512.eosId()).hasValue(2);
        assertThat(sp512.bosId()).hasValue(1); // from the TemplateProcessing "<s> $A"
        assertThat(sp512.eosId()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tinystories-val.txt", "wikitext2-test.txt"})
    void wholeFilesGiveTheSameIds(String file) {
        String text = Fixtures.text("text/" + file);
        long start = System.nanoTime();
        int[] ids = tok512.encode(text);
        System.out.printf("tok512.bin: %s -> %d ids in %d ms%n", file, ids.length, (System.nanoTime() - start) / 1_000_000);
        assertThat(ids).isEqualTo(sp512.encode(text)); // containsExactly is quadratic on 10^6 ids
        assertThat(tok512.decode(ids)).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tinystories-val.txt", "wikitext2-test.txt", "calib.txt", "heldout-mix.txt"})
    void linesGiveTheSameIds(String file) {
        // llama2.c knows no added tokens, so a literal "<unk>" in the text is where the two differ.
        List<String> lines = Fixtures.text("text/" + file).lines().filter(l -> !l.contains("<unk>")).limit(2000).toList();
        assertThat(lines).hasSizeGreaterThan(1000);
        for (String line : lines) {
            int[] ids = sp512.encode(line);
            assertThat(tok512.encode(line)).as(line).containsExactly(ids);
            assertThat(tok512.decode(ids)).as(line).isEqualTo(sp512.decode(ids));
        }
    }

    @Test
    void edgeCases() {
        assertThat(tok512.encode("")).isEmpty();
        for (String text : List.of(" ", "  x  ", "\n", "😀 中文 é", "\u0000")) {
            assertThat(tok512.encode(text)).as(text).containsExactly(sp512.encode(text));
        }
        int[] bytes = {3 + 0xE4, 3 + 0xBD, 3 + 0xA0, 3 + 0xE4, 410};
        assertThat(tok512.decode(bytes)).isEqualTo(sp512.decode(bytes)).isEqualTo("\uFFFD".repeat(4) + " ");
    }

    @TempDir
    Path dir;

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.bin");
        assertThatThrownBy(() -> Llama2cTokenizer.load(missing))
                .isInstanceOf(InputException.class).hasMessage(missing + ": no such file");
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] original = Files.readAllBytes(Fixtures.path("stories260K/tok512.bin"));
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(original, original.length - 3));
        assertThatThrownBy(() -> Tokenizer.load(cut)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(cut + ": ").hasMessageContaining("token 511");
        Files.write(cut, Arrays.copyOf(original, 2));
        assertThatThrownBy(() -> Tokenizer.load(cut)).isInstanceOf(InputException.class)
                .hasMessage(cut + ": truncated after 0 tokens");
    }

    @Test
    void notALlama2cTokenizer() throws IOException {
        Path bad = dir.resolve("bad.bin");
        Files.write(bad, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).array());
        assertThatThrownBy(() -> Tokenizer.load(bad)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(bad + ": max_token_length -5");
        ByteBuffer few = ByteBuffer.allocate(4 + 3 * 9).order(ByteOrder.LITTLE_ENDIAN).putInt(1);
        for (char c : "abc".toCharArray()) {
            few.putFloat(0).putInt(1).put((byte) c);
        }
        Files.write(bad, few.array());
        assertThatThrownBy(() -> Tokenizer.load(bad)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(bad + ": has 3 tokens");
    }
}
