package sq.tokenizer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import sq.testing.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ours against HF tokenizers itself (Rust, through DJL's JNI wrapper) on many more texts than the goldens: every line
 * of wikitext2, wikitext2 and TinyStories whole in 64 kB pieces, random Unicode, every added token in context, and
 * decoding of random ids. Ids without and with special tokens and the decoded text must agree exactly.
 */
class HfDifferentialTest {
    private static final Map<String, HfRust> RUST = new ConcurrentHashMap<>();

    @AfterAll
    static void close() {
        RUST.values().forEach(HfRust::close);
    }

    private static HfRust rust(String set) {
        return RUST.computeIfAbsent(set, s -> HfRust.load(RealTokenizers.folder(s).resolve("tokenizer.json")));
    }

    @TestFactory
    List<DynamicNode> agreesWithHfTokenizers() {
        List<DynamicNode> sets = new ArrayList<>();
        for (RealTokenizers.Set set : RealTokenizers.SETS) {
            String name = set.name();
            sets.add(DynamicContainer.dynamicContainer(name, List.of(
                    encodes(name, "wikitext2 lines", s -> lines("text/wikitext2-test.txt")),
                    encodes(name, "wikitext2 and tinystories in 64 kB pieces", s -> pieces()),
                    encodes(name, "random Unicode", s -> RandomText.strings(new Random(15), 2000)),
                    encodes(name, "every added token in context", HfDifferentialTest::addedTokenTexts),
                    DynamicTest.dynamicTest(name + ": decode random ids", () -> decodesRandomIds(name)))));
        }
        return sets;
    }

    private static DynamicTest encodes(String set, String what, Function<String, List<String>> texts) {
        return DynamicTest.dynamicTest(set + ": " + what, () -> {
            Tokenizer ours = RealTokenizers.tokenizer(set);
            HfRust hf = rust(set);
            List<String> all = texts.apply(set);
            List<String> mismatches = new ArrayList<>();
            for (String text : all) {
                int[] ids = ours.encode(text);
                int[] expected = hf.encode(text, false);
                if (!Arrays.equals(ids, expected)) {
                    mismatches.add("ids of " + quote(text) + ": ours " + Arrays.toString(ids) + ", HF " + Arrays.toString(expected));
                } else if (!Arrays.equals(ours.encodeWithSpecialTokens(text), hf.encode(text, true))) {
                    mismatches.add("ids with special tokens of " + quote(text));
                } else if (!ours.decode(ids).equals(hf.decode(ids))) {
                    mismatches.add("decode of " + quote(text) + ": ours " + quote(ours.decode(ids)) + ", HF " + quote(hf.decode(ids)));
                }
            }
            System.out.println("HfDifferentialTest " + set + ", " + what + ": " + all.size() + " texts, " + mismatches.size() + " differ");
            assertThat(mismatches).as("%s: %s", set, what).isEmpty();
        });
    }

    private static void decodesRandomIds(String set) {
        Tokenizer ours = RealTokenizers.tokenizer(set);
        HfRust hf = rust(set);
        Random random = new Random(15);
        // Byte tokens of SentencePiece vocabularies make invalid UTF-8 runs likely: half the ids are drawn from them.
        int[] bytes = java.util.stream.IntStream.range(0, 256)
                .map(b -> ours.id(String.format("<0x%02X>", b)).orElse(-1)).filter(id -> id >= 0).toArray();
        List<String> mismatches = new ArrayList<>();
        int n = 3000;
        for (int k = 0; k < n; k++) {
            int[] ids = new int[1 + random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = bytes.length > 0 && random.nextBoolean() ? bytes[random.nextInt(bytes.length)] : random.nextInt(ours.vocabSize());
            }
            String expected = hf.decode(ids);
            if (!ours.decode(ids).equals(expected)) {
                mismatches.add("decode of " + Arrays.toString(ids) + ": ours " + quote(ours.decode(ids)) + ", HF " + quote(expected));
            }
        }
        System.out.println("HfDifferentialTest " + set + ", decode random ids: " + n + " id lists, " + mismatches.size() + " differ");
        assertThat(mismatches).isEmpty();
    }

    private static List<String> addedTokenTexts(String set) {
        Tokenizer t = RealTokenizers.tokenizer(set);
        List<String> texts = new ArrayList<>();
        for (String token : RealTokenizers.addedTokens(set)) {
            texts.add(token);
            texts.add("x" + token + "y");
            texts.add(" " + token + " z");
            texts.add("a\n" + token + token + "\n");
        }
        assertThat(texts).isNotEmpty();
        assertThat(t.vocabSize()).isPositive();
        return texts;
    }

    /** Every line of a text file with its line end (wikitext2 has CRLF). */
    private static List<String> lines(String file) {
        String text = read(file);
        List<String> lines = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }

    /** Both files cut into 64 kB pieces (cuts anywhere but inside a surrogate pair), so that regexes see long contexts. */
    private static List<String> pieces() {
        List<String> pieces = new ArrayList<>();
        for (String file : List.of("text/wikitext2-test.txt", "text/tinystories-val.txt")) {
            String text = read(file);
            for (int start = 0; start < text.length(); ) {
                int end = Math.min(text.length(), start + 65_536);
                if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) end--;
                pieces.add(text.substring(start, end));
                start = end;
            }
        }
        return pieces;
    }

    private static String read(String file) {
        try {
            return new String(Files.readAllBytes(Fixtures.shared(file)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(200).forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || Character.getType(cp) == Character.FORMAT) b.append(String.format("\\u{%X}", cp));
            else b.appendCodePoint(cp);
        });
        return b.append(s.length() > 200 ? "...\"" : "\"").toString();
    }
}
