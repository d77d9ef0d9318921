package sq.tokenizer;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Compiles the Oniguruma-flavoured regexes of tokenizer.json with java.util.regex. Both are
 * backtracking engines with leftmost-first alternation, so matches agree once the syntax and
 * the character classes do: {@code \s}, {@code \w}, {@code \p{L}}, {@code \p{N}} must be the
 * Unicode classes (U+00A0 and U+2009 are {@code \s}), hence UNICODE_CHARACTER_CLASS (which also
 * makes {@code (?i:...)} fold case by Unicode rules, as Oniguruma does).
 */
final class OnigRegex {
    /** Property names java.util.regex understands without the "Is" prefix Oniguruma omits. */
    private static final Set<String> JAVA_NAMES = Set.of("Lower", "Upper", "ASCII", "Alpha", "Digit",
            "Alnum", "Punct", "Graph", "Print", "Blank", "Cntrl", "XDigit", "Space");

    private OnigRegex() {
    }

    /** @throws java.util.regex.PatternSyntaxException when the translated pattern is not valid */
    static Pattern compile(String onig) {
        // Oniguruma (Ruby syntax): '.' stops only at \n and ^/$ are line anchors.
        return Pattern.compile(translate(onig),
                Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNIX_LINES | Pattern.MULTILINE);
    }

    /**
     * Rewrites the constructs whose meaning differs: script and binary properties ({@code \p{Han}}
     * is {@code \p{IsHan}} in Java) and Oniguruma's hex-digit class {@code \h} (Java: horizontal space).
     */
    static String translate(String onig) {
        StringBuilder out = new StringBuilder(onig.length() + 8);
        for (int i = 0; i < onig.length(); i++) {
            char c = onig.charAt(i);
            if (c != '\\' || i + 1 == onig.length()) {
                out.append(c);
                continue;
            }
            char e = onig.charAt(++i);
            int close = onig.indexOf('}', i);
            if ((e == 'p' || e == 'P') && i + 1 < onig.length() && onig.charAt(i + 1) == '{' && close > 0) {
                String name = onig.substring(i + 2, close);
                boolean negated = name.startsWith("^");
                String bare = negated ? name.substring(1) : name;
                String javaName = bare.length() <= 2 || JAVA_NAMES.contains(bare) || bare.startsWith("Is")
                        || bare.contains("=") ? bare : "Is" + bare;
                out.append('\\').append(negated == (e == 'p') ? 'P' : 'p').append('{').append(javaName).append('}');
                i = close;
            } else if (e == 'h') {
                out.append("[0-9a-fA-F]");
            } else if (e == 'H') {
                out.append("[^0-9a-fA-F]");
            } else {
                out.append(c).append(e);
            }
        }
        return out.toString();
    }
}
