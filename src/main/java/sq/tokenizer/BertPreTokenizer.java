package sq.tokenizer;

import java.util.List;

/**
 * HF tokenizers' BertPreTokenizer: splits on whitespace (removed), then isolates every punctuation character:
 * ASCII punctuation (which includes symbols such as $ + &lt; = &gt; ^ ` | ~) and Unicode P* categories.
 */
final class BertPreTokenizer implements PreTokenizer {
    @Override
    public void split(String text, List<String> out) {
        int start = -1; // start of the current word, -1: none
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (BertNormalizer.isUnicodeWhiteSpace(cp)) {
                if (start >= 0) out.add(text.substring(start, i));
                start = -1;
            } else if (isPunctuation(cp)) {
                if (start >= 0) out.add(text.substring(start, i));
                out.add(text.substring(i, next));
                start = -1;
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) out.add(text.substring(start));
    }

    static boolean isPunctuation(int cp) {
        if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }
}
