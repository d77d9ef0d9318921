package sq.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json normalizer: rewrites the text between added tokens before pre-tokenization. */
@FunctionalInterface
interface Normalizer {
    String normalize(String text);

    static Normalizer unicode(java.text.Normalizer.Form form) {
        return text -> java.text.Normalizer.normalize(text, form);
    }

    /**
     * Per code point, like Rust's {@code char::to_lowercase} (full mappings such as U+0130 -> "i̇",
     * but no context-dependent final sigma, which {@link String#toLowerCase} would apply).
     */
    static Normalizer lowercase() {
        return text -> {
            StringBuilder out = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int next = i + Character.charCount(cp);
                if (cp < 0x80) {
                    out.append((char) Character.toLowerCase(cp));
                } else {
                    out.append(text.substring(i, next).toLowerCase(Locale.ROOT));
                }
                i = next;
            }
            return out.toString();
        };
    }

    /** HF's Prepend leaves an empty string alone. */
    static Normalizer prepend(String prefix) {
        return text -> text.isEmpty() ? text : prefix + text;
    }

    static Normalizer replace(Pattern pattern, String content) {
        String replacement = Matcher.quoteReplacement(content);
        return text -> pattern.matcher(text).replaceAll(replacement);
    }

    static Normalizer sequence(List<Normalizer> steps) {
        return text -> {
            for (Normalizer step : steps) {
                text = step.normalize(text);
            }
            return text;
        };
    }
}
