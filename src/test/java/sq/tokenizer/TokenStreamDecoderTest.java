package sq.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TokenStreamDecoderTest {
    private static List<String> stream(Tokenizer tokenizer, int[] ids) {
        TokenStreamDecoder decoder = tokenizer.streamDecoder();
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(decoder.next(id));
        }
        pieces.add(decoder.flush());
        return pieces;
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.GPT2, Fixtures.QWEN, Fixtures.SP512})
    void longStreamsReproduceDecode(String name) {
        Tokenizer tokenizer = Fixtures.tokenizer(name);
        // The wikitext part holds CJK, which sp512 spells with byte tokens and bpe4k with partial bytes.
        String text = Fixtures.text("text/tinystories-val.txt").substring(0, 50_000)
                + Fixtures.text("text/wikitext2-test.txt").substring(0, 300_000);
        int[] ids = tokenizer.encode(text);
        List<String> pieces = stream(tokenizer, ids);
        assertThat(pieces).noneMatch(p -> p.contains("\uFFFD"));
        String joined = String.join("", pieces);
        assertThat(joined.equals(tokenizer.decode(ids))).as(() -> StreamLengthTest.firstDifference(tokenizer.decode(ids), joined)).isTrue();
    }

    @Test
    void multiByteCharacterIsHeldUntilComplete() {
        Tokenizer gpt2 = Fixtures.tokenizer(Fixtures.GPT2);
        int[] ids = gpt2.encode("a😀");
        assertThat(ids).hasSizeGreaterThan(2); // the emoji's 4 bytes take several tokens
        List<String> pieces = stream(gpt2, ids);
        assertThat(pieces.getFirst()).isEqualTo("a");
        assertThat(pieces.subList(1, ids.length - 1)).allMatch(String::isEmpty);
        assertThat(pieces.get(ids.length - 1)).isEqualTo("😀");
    }

    @Test
    void byteFallbackRunIsHeldUntilANormalToken() {
        Tokenizer sp512 = Fixtures.tokenizer(Fixtures.SP512);
        // "_" then a lead byte: HF decodes the whole run as invalid, so "_" must not be printed early.
        int[] ids = {3 + '_', 3 + 0xE4, 410};
        List<String> pieces = stream(sp512, ids);
        assertThat(pieces).containsExactly("", "", "\uFFFD\uFFFD ", "");
        assertThat(String.join("", pieces)).isEqualTo(sp512.decode(ids));
    }

    @Test
    void sentencePieceLeadingSpaceIsStrippedOnce() {
        Tokenizer sp512 = Fixtures.tokenizer(Fixtures.SP512);
        assertThat(stream(sp512, new int[]{403, 407, 261, 378})).containsExactly("Once", " upon", " a", " time", "");
    }

    @Test
    void flushReleasesAnIncompleteTail() {
        Tokenizer gpt2 = Fixtures.tokenizer(Fixtures.GPT2);
        int[] ids = gpt2.encode("x😀");
        int[] cut = Arrays.copyOf(ids, ids.length - 1);
        List<String> pieces = stream(gpt2, cut);
        assertThat(pieces.getLast()).endsWith("\uFFFD");
        assertThat(String.join("", pieces)).isEqualTo(gpt2.decode(cut));
    }
}
