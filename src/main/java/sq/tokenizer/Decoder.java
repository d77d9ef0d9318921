package sq.tokenizer;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json decoder. Like HF's {@code decode_chain} it maps a token list to a token list,
 * so steps compose; the decoded text is the concatenation of the final list.
 */
@FunctionalInterface
interface Decoder {
    List<String> decodeChain(List<String> tokens);

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    static Decoder byteLevel() {
        return tokens -> List.of(ByteLevel.decode(tokens));
    }

    static Decoder replace(Pattern pattern, String content) {
        String replacement = Matcher.quoteReplacement(content);
        return tokens -> tokens.stream().map(t -> pattern.matcher(t).replaceAll(replacement)).toList();
    }

    /**
     * Runs of {@code <0xXX>} tokens become the text of their bytes; a run that is not valid UTF-8
     * becomes one U+FFFD per byte (HF's rule, not the lossy decoder's).
     */
    static Decoder byteFallback() {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteValue(token);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flushBytes(run, out);
                out.add(token);
            }
            flushBytes(run, out);
            return out;
        };
    }

    static Decoder fuse() {
        return tokens -> List.of(String.join("", tokens));
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} chars of every token. */
    static Decoder strip(int content, int start, int stop) {
        return tokens -> tokens.stream().map(token -> {
            int from = 0;
            for (int k = 0; k < start && from < token.length() && token.codePointAt(from) == content; k++) {
                from += Character.charCount(content);
            }
            int to = token.length();
            for (int k = 0; k < stop && to > from && token.codePointBefore(to) == content; k++) {
                to -= Character.charCount(content);
            }
            return token.substring(from, to);
        }).toList();
    }

    static Decoder sequence(List<Decoder> steps) {
        return tokens -> {
            for (Decoder step : steps) {
                tokens = step.decodeChain(tokens);
            }
            return tokens;
        };
    }

    /** The byte of a {@code <0xXX>} token, or -1. */
    static int byteValue(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
            return -1;
        }
        int hi = HexFormat.isHexDigit(token.charAt(3)) ? HexFormat.fromHexDigit(token.charAt(3)) : -1;
        int lo = HexFormat.isHexDigit(token.charAt(4)) ? HexFormat.fromHexDigit(token.charAt(4)) : -1;
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static void flushBytes(ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) {
            return;
        }
        byte[] bytes = run.toByteArray();
        if (Utf8.isValid(bytes)) {
            out.add(Utf8.decodeLossy(bytes));
        } else {
            out.add("\uFFFD".repeat(bytes.length));
        }
        run.reset();
    }
}
