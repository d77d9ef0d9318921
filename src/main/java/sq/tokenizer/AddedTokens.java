package sq.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds added tokens (e.g. {@code <|endoftext|>}) in text and cuts the text around them, as HF's
 * AddedVocabulary does: leftmost-longest, non-overlapping matches, with the lstrip / rstrip /
 * single_word options. Those marked {@code normalized: false} are matched in the raw text,
 * the others in the normalized text.
 */
final class AddedTokens {
    /** An entry of tokenizer.json's {@code added_tokens}. */
    record Token(String content, int id, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized) {
        Token withContent(String newContent) {
            return new Token(newContent, id, lstrip, rstrip, singleWord, normalized);
        }
    }

    /** Receives the pieces in order: plain text with {@code id == -1}, or an added token. */
    @FunctionalInterface
    interface Sink {
        void accept(String text, int id);
    }

    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);

    /** Candidates by first char, longest first, so the first hit at a position is the longest. */
    private final Map<Character, Token[]> byFirstChar = new HashMap<>();
    private final boolean[] isFirstChar = new boolean[Character.MAX_VALUE + 1];

    AddedTokens(List<Token> tokens) {
        Map<Character, List<Token>> groups = new HashMap<>();
        for (Token t : tokens) {
            if (!t.content().isEmpty()) {
                groups.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
            }
        }
        groups.forEach((c, list) -> {
            list.sort(Comparator.comparingInt((Token t) -> t.content().length()).reversed());
            byFirstChar.put(c, list.toArray(Token[]::new));
            isFirstChar[c] = true;
        });
    }

    void split(String text, Sink sink) {
        int emitted = 0; // text before this has been handed to the sink
        int pos = 0;
        while (pos < text.length()) {
            Token match = isFirstChar[text.charAt(pos)] ? longestAt(text, pos) : null;
            if (match == null) {
                pos++;
                continue;
            }
            int start = pos;
            int end = pos + match.content().length();
            pos = end; // like aho-corasick, the next search starts after the raw match
            if (match.singleWord() && (isWordCharBefore(text, start) || isWordCharAt(text, end))) {
                continue;
            }
            if (match.lstrip()) {
                while (start > emitted && isWhiteSpace(text.codePointBefore(start))) {
                    start -= Character.charCount(text.codePointBefore(start));
                }
            }
            if (match.rstrip()) {
                while (end < text.length() && isWhiteSpace(text.codePointAt(end))) {
                    end += Character.charCount(text.codePointAt(end));
                }
            }
            if (start > emitted) {
                sink.accept(text.substring(emitted, start), -1);
            }
            sink.accept(text.substring(start, end), match.id());
            emitted = end;
            pos = end; // past any whitespace rstrip took
        }
        if (emitted < text.length()) {
            sink.accept(text.substring(emitted), -1);
        }
    }

    private Token longestAt(String text, int pos) {
        for (Token t : byFirstChar.get(text.charAt(pos))) {
            if (text.startsWith(t.content(), pos)) {
                return t;
            }
        }
        return null;
    }

    private static boolean isWordCharBefore(String text, int index) {
        return index > 0 && WORD_CHAR.matcher(Character.toString(text.codePointBefore(index))).matches();
    }

    private static boolean isWordCharAt(String text, int index) {
        return index < text.length() && WORD_CHAR.matcher(Character.toString(text.codePointAt(index))).matches();
    }

    /** Unicode White_Space, i.e. Rust's {@code char::is_whitespace} (Java's isWhitespace omits NBSP). */
    private static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
