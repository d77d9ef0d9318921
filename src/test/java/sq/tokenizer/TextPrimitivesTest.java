package sq.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** UTF-8 and regex details where the JDK's defaults differ from Rust / Oniguruma. */
class TextPrimitivesTest {
    /** Expected values are Python's bytes.decode('utf-8', 'replace'), which follows the same rule as Rust. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "41ff42,   3",
            "eda080,   3",  // an encoded surrogate: one U+FFFD per byte (the JDK gives fewer)
            "e4bd,     1",  // a truncated character: one U+FFFD
            "f09f98,   1",
            "c080,     2",  // overlong
            "f4908080, 4",  // above U+10FFFF
            "e4bda0,   1",
    })
    void lossyUtf8LikeRust(String hex, int length) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        String decoded = Utf8.decodeLossy(bytes);
        assertThat(decoded).hasSize(length);
        assertThat(Utf8.isValid(bytes)).isEqualTo(!decoded.contains("\uFFFD"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "\\p{L}+\\p{N} => \\p{L}+\\p{N}",
            "\\p{Han}|\\P{Latin} => \\p{IsHan}|\\P{IsLatin}",
            "\\p{^Greek} => \\P{IsGreek}",
            "[\\h_]+ => [[0-9a-fA-F]_]+",
            "\\p{Alpha}\\s => \\p{Alpha}\\s",
    })
    void onigurumaToJava(String onig, String java) {
        assertThat(OnigRegex.translate(onig)).isEqualTo(java);
    }
}
