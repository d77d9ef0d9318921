package sq.tokenizer;

/**
 * HF tokenizers' BertNormalizer, step for step: clean_text (drop NUL, U+FFFD and control/format/unassigned/private
 * code points; every whitespace becomes a space), handle_chinese_chars (a space either side of each CJK ideograph),
 * strip_accents (NFD, then drop nonspacing marks; null in the JSON means "same as lowercase") and lowercase
 * (per code point, as Rust's {@code char::to_lowercase}).
 */
final class BertNormalizer implements Normalizer {
    private final boolean cleanText, chineseChars, stripAccents, lowercase;
    private final Normalizer lower = Normalizer.lowercase();

    /** @param stripAccents null: follow lowercase, as HF does */
    BertNormalizer(boolean cleanText, boolean chineseChars, Boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.chineseChars = chineseChars;
        this.stripAccents = stripAccents == null ? lowercase : stripAccents;
        this.lowercase = lowercase;
    }

    @Override
    public String normalize(String text) {
        if (cleanText || chineseChars) {
            StringBuilder b = new StringBuilder(text.length() + 8);
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                i += Character.charCount(cp);
                if (cleanText) {
                    if (cp == 0 || cp == 0xFFFD || isControl(cp)) continue;
                    if (isWhitespace(cp)) cp = ' ';
                }
                if (chineseChars && isChinese(cp)) b.append(' ').appendCodePoint(cp).append(' ');
                else b.appendCodePoint(cp);
            }
            text = b.toString();
        }
        if (stripAccents) {
            String nfd = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD);
            StringBuilder b = new StringBuilder(nfd.length());
            for (int i = 0; i < nfd.length(); ) {
                int cp = nfd.codePointAt(i);
                i += Character.charCount(cp);
                if (Character.getType(cp) != Character.NON_SPACING_MARK) b.appendCodePoint(cp);
            }
            text = b.toString();
        }
        return lowercase ? lower.normalize(text) : text;
    }

    /** Tab, LF and CR count as whitespace, not control. */
    static boolean isWhitespace(int cp) {
        return cp == '\t' || cp == '\n' || cp == '\r' || isUnicodeWhiteSpace(cp);
    }

    /** Unicode White_Space, i.e. Rust's {@code char::is_whitespace}. */
    static boolean isUnicodeWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** Categories Cc, Cf, Cn, Co, Cs ("other"), except tab, LF and CR. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.UNASSIGNED || t == Character.PRIVATE_USE
                || t == Character.SURROGATE;
    }

    /** The CJK Unified Ideographs blocks BERT pads with spaces (not Japanese kana or Hangul). */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
