package sq.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random valid Unicode text that stresses the split regexes and normalizers: runs drawn from scripts and classes whose
 * handling differs between regex engines or tokenizers (case classes, marks, digits of other scripts, CJK, emoji
 * outside the BMP, every kind of white space, zero-width and format characters, contractions, punctuation, symbols).
 */
final class RandomText {
    /** Inclusive code point ranges, one class each. */
    private static final int[][] RANGES = {
            {'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {' ', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'},
            {0xC0, 0x24F},      // Latin-1 and Extended-A/B letters, upper and lower
            {0x300, 0x36F},     // combining marks
            {0x370, 0x3FF},     // Greek
            {0x400, 0x4FF},     // Cyrillic
            {0x5D0, 0x5EA},     // Hebrew
            {0x600, 0x6FF},     // Arabic, with its digits and marks
            {0x900, 0x97F},     // Devanagari (marks Mn/Mc, digits)
            {0xE00, 0xE7F},     // Thai
            {0x1100, 0x11FF},   // Hangul Jamo
            {0x2000, 0x206F},   // general punctuation, spaces, zero-width and format characters
            {0x2150, 0x218F},   // number forms (Nl, No)
            {0x2200, 0x22FF},   // mathematical operators
            {0x3000, 0x303F},   // CJK punctuation, ideographic space
            {0x3040, 0x30FF},   // Hiragana, Katakana
            {0x4E00, 0x9FFF},   // CJK ideographs
            {0xAC00, 0xD7A3},   // Hangul syllables
            {0xFF00, 0xFFEF},   // full-width forms (NFKC folds them)
            {0x1D400, 0x1D7FF}, // mathematical alphanumerics
            {0x1F300, 0x1FAFF}, // emoji
            {0x10000, 0x1007F}, // Linear B (outside the BMP)
    };
    private static final String[] SNIPPETS = {"'s", "'LL", "'Re", "'d", "\r\n", "\n\n", "\t", "\u00A0", "   ", "\u200B",
            "\u200D", "\uFEFF", "e\u0301", "...", "1234567", "<|", "|>", "<s>", "</s>", "▁", "Ġ", "\u0000"};

    private RandomText() {
    }

    static List<String> strings(Random random, int count) {
        List<String> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            StringBuilder b = new StringBuilder();
            int runs = 1 + random.nextInt(8);
            for (int r = 0; r < runs; r++) {
                if (random.nextInt(4) == 0) {
                    b.append(SNIPPETS[random.nextInt(SNIPPETS.length)]);
                    continue;
                }
                int[] range = RANGES[random.nextInt(RANGES.length)];
                int length = 1 + random.nextInt(6);
                for (int i = 0; i < length; i++) {
                    int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
                    if (Character.isDefined(cp) && Character.getType(cp) != Character.SURROGATE) b.appendCodePoint(cp);
                }
            }
            out.add(b.toString());
        }
        return out;
    }
}
