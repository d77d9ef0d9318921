package sq.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.InputException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * BERT's WordPiece tokenizer (BertNormalizer, BertPreTokenizer, WordPiece, [CLS]/[SEP] template, truncation) on the
 * tokenizer.json files inside the langchain4j jars. Expected ids and decoded texts were produced by Hugging Face
 * tokenizers (the Rust library, through DJL 0.36.0, which is what langchain4j runs in front of ONNX Runtime) on the
 * same files with truncation to 128 (MiniLM) and 512 (bge); that library also gave the same ids for every line of
 * wikitext2-test.txt, summarized here by count and hash.
 */
class WordPieceTokenizerTest {
    @TempDir
    static Path tmp;
    static WordPieceTokenizer minilm, bge;

    @BeforeAll
    static void load() throws IOException {
        minilm = WordPieceTokenizer.load(resource("all-minilm-l6-v2-tokenizer.json"));
        bge = WordPieceTokenizer.load(resource("bge-small-en-v1.5-tokenizer.json"));
    }

    private static Path resource(String name) throws IOException {
        try (InputStream in = WordPieceTokenizerTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name + " on the test class path (langchain4j jar)").isNotNull();
            Path p = tmp.resolve(name);
            Files.copy(in, p);
            return p;
        }
    }

    /** {text, ids with [CLS]/[SEP], HF decode(ids, skip_special_tokens=false)}. */
    private static final Object[][] GOLDEN = {
            {"H\u00e9llo W\u00f6rld! na\u00efve caf\u00e9 r\u00e9sum\u00e9", new int[]{101, 7592, 2088, 999, 15743, 7668, 13746, 102}, "[CLS] hello world! naive cafe resume [SEP]"},
            {"\u00c0\u00c9\u00ce\u00d5\u00dc stra\u00dfe \u0130stanbul \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3", new int[]{101, 29347, 3695, 2226, 2358, 27807, 9960, 1173, 18199, 29733, 29735, 29736, 29730, 29733, 102}, "[CLS] aeiou stra\u00dfe istanbul \u03c3\u03b9\u03c3\u03c5\u03c6\u03bf\u03c3 [SEP]"},
            {"don't can't 1,000.50$ a+b=c <tag> ~tilde^ `q` |x|", new int[]{101, 2123, 1005, 1056, 2064, 1005, 1056, 1015, 1010, 2199, 1012, 2753, 1002, 1037, 1009, 1038, 1027, 1039, 1026, 6415, 1028, 1066, 18681, 3207, 1034, 1036, 1053, 1036, 1064, 1060, 1064, 102}, "[CLS] don ' t can ' t 1, 000. 50 $ a + b = c < tag > ~ tilde ^ ` q ` | x | [SEP]"},
            {"\u4e2d\u6587\u5b57\u7b26 \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4", new int[]{101, 1746, 1861, 100, 100, 1864, 1876, 1950, 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008, 102}, "[CLS] \u4e2d \u6587 [UNK] [UNK] \u65e5 \u672c \u8a9e \u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165 [SEP]"},
            {"emoji \ud83e\udd17\ud83c\udf89 ok", new int[]{101, 7861, 29147, 2072, 100, 7929, 102}, "[CLS] emoji [UNK] ok [SEP]"},
            {"tab\u0009here\r\nnew\u00a0nbsp\u200bzwsp\u0000nul", new int[]{101, 21628, 2182, 2047, 1050, 5910, 2361, 2480, 9333, 2361, 11231, 2140, 102}, "[CLS] tab here new nbspzwspnul [SEP]"},
            {"[CLS] hello [SEP] [MASK] [unk]", new int[]{101, 101, 7592, 102, 103, 1031, 4895, 2243, 1033, 102}, "[CLS] [CLS] hello [SEP] [MASK] [ unk ] [SEP]"},
            {"unaffable xyzzyqqq supercalifragilisticexpialidocious", new int[]{101, 14477, 20961, 3468, 1060, 2100, 28753, 4160, 4160, 4160, 3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273, 10085, 6313, 102}, "[CLS] unaffable xyzzyqqq supercalifragilisticexpialidocious [SEP]"},
            {"\u2014\u2013 \u00abquoted\u00bb \u2018single\u2019 \u201cdouble\u201d \u2026", new int[]{101, 1517, 1516, 1077, 9339, 1090, 1520, 2309, 1521, 1523, 3313, 1524, 1529, 102}, "[CLS] \u2014 \u2013 \u00ab quoted \u00bb \u2018 single \u2019 \u201c double \u201d \u2026 [SEP]"},
            {"", new int[]{101, 102}, "[CLS] [SEP]"},
            {"\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff46\uff49 ligature \ufb01", new int[]{101, 100, 100, 8018, 11244, 1984, 102}, "[CLS] [UNK] [UNK] ligature \ufb01 [SEP]"},
            {"x\u0301y\u0327 combining", new int[]{101, 1060, 2100, 11566, 102}, "[CLS] xy combining [SEP]"},
            {" = Robert Boulter = \r\n", new int[]{101, 1027, 2728, 8945, 11314, 2121, 1027, 102}, "[CLS] = robert boulter = [SEP]"},
            {"The Bill in 2000 . He had a guest @-@ starring role", new int[]{101, 1996, 3021, 1999, 2456, 1012, 2002, 2018, 1037, 4113, 1030, 1011, 1030, 4626, 2535, 102}, "[CLS] the bill in 2000. he had a guest @ - @ starring role [SEP]"},
    };

    @Test
    void matchesHuggingFaceTokenizers() {
        for (Object[] g : GOLDEN) {
            String text = (String) g[0];
            int[] ids = (int[]) g[1];
            assertThat(minilm.encodeForModel(text)).as(text).containsExactly(ids);
            assertThat(bge.encodeForModel(text)).as(text).containsExactly(ids); // same vocab and pipeline
            assertThat(minilm.decode(ids)).as(text).isEqualTo(g[2]);
            assertThat(minilm.encode(text)).containsExactly(Arrays.copyOfRange(ids, 1, ids.length - 1));
        }
    }

    @Test
    void specialTokensWordPiecesAndUnknowns() {
        assertThat(minilm.bosId()).hasValue(101);
        assertThat(minilm.eosId()).hasValue(102);
        assertThat(minilm.token(101)).isEqualTo("[CLS]");
        assertThat(minilm.id("##able")).isPresent();
        // "unaffable" = un ##aff ##able: continuation pieces carry ##
        int[] ids = minilm.encode("unaffable");
        assertThat(Arrays.stream(ids).mapToObj(minilm::token).toList()).containsExactly("una", "##ffa", "##ble");
        // a word longer than max_input_chars_per_word (100) is one [UNK]
        assertThat(minilm.encode("a".repeat(101))).containsExactly(100);
        assertThat(minilm.encode("a".repeat(100))).doesNotContain(100);
        assertThat(minilm.vocabSize()).isEqualTo(30522);
    }

    @Test
    void truncatesToTheMaximumLength() {
        assertThat(minilm.maxLength()).isEqualTo(128); // tokenizer.json truncation.max_length
        assertThat(bge.maxLength()).isEqualTo(Integer.MAX_VALUE); // none in the file: the model's 512 positions bound it
        String longText = "word ".repeat(300);
        int[] ids = minilm.encodeForModel(longText);
        assertThat(ids).hasSize(128);
        assertThat(ids[0]).isEqualTo(101);
        assertThat(ids[127]).isEqualTo(102);
        int[] b = bge.withMaxLength(512).encodeForModel(longText);
        assertThat(b).hasSize(302);
        assertThat(bge.withMaxLength(10).encodeForModel(longText)).hasSize(10).endsWith(102);
    }

    @Test
    void wholeWikiTextFileMatchesHuggingFace() throws IOException {
        Path text = sq.testing.Fixtures.bundled("text/wikitext2-test.txt");
        java.util.List<String> lines = Files.readAllLines(text);
        assertThat(lines).hasSize(2891);
        assertThat(summary(minilm, lines)).isEqualTo("205627 ids, hash c00dd063d8231c6f");
        assertThat(summary(bge.withMaxLength(512), lines)).isEqualTo("278947 ids, hash 7d0e90eae1652293");
    }

    private static String summary(WordPieceTokenizer t, java.util.List<String> lines) {
        long n = 0, h = 0xcbf29ce484222325L; // FNV-1a over the ids of every line's [CLS] ... [SEP]
        for (String line : lines) {
            for (int id : t.encodeForModel(line)) {
                h ^= id;
                h *= 0x100000001b3L;
                n++;
            }
        }
        return n + " ids, hash " + Long.toHexString(h);
    }

    @Test
    void notAWordPieceFile() throws IOException {
        Path bpe = sq.testing.Fixtures.bundled("tokenizers/bpe4k-gpt2/tokenizer.json");
        assertThatThrownBy(() -> WordPieceTokenizer.load(bpe)).isInstanceOf(InputException.class).hasMessageContaining("WordPiece");
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, Files.readString(resource2()).replace("\"unk_token\": \"[UNK]\"", "\"unk_token\": \"[NOPE]\""));
        assertThatThrownBy(() -> WordPieceTokenizer.load(broken)).isInstanceOf(InputException.class)
                .hasMessageContaining("broken.json").hasMessageContaining("[NOPE]");
    }

    private static Path resource2() {
        return tmp.resolve("all-minilm-l6-v2-tokenizer.json");
    }
}
