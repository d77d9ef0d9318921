package sq.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level trick: every UTF-8 byte is shown as one printable character, so BPE works on
 * bytes while vocab entries stay readable strings. As a pre-tokenizer it (optionally) adds a
 * prefix space, splits with the GPT-2 regex, and maps each piece's bytes to those characters.
 */
final class ByteLevel implements PreTokenizer {
    static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        // Printable Latin-1 bytes stand for themselves; the rest are shifted to 256, 257, ...
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) shifted++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private final boolean addPrefixSpace;
    private final RegexSplit gpt2; // null when use_regex is false

    ByteLevel(boolean addPrefixSpace, boolean useRegex) {
        this.addPrefixSpace = addPrefixSpace;
        this.gpt2 = useRegex
                ? new RegexSplit(OnigRegex.compile(GPT2_PATTERN), RegexSplit.Behavior.ISOLATED, false)
                : null;
    }

    @Override
    public void split(String text, List<String> out) {
        if (addPrefixSpace && !text.startsWith(" ")) {
            text = " " + text;
        }
        if (gpt2 == null) {
            out.add(toByteChars(text));
            return;
        }
        int first = out.size();
        gpt2.split(text, out);
        for (int i = first; i < out.size(); i++) {
            out.set(i, toByteChars(out.get(i)));
        }
    }

    static String toByteChars(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The ByteLevel decoder: maps the tokens back to bytes and decodes them as UTF-8 (invalid bytes
     * become U+FFFD). A token with a character outside the byte alphabet (an added token, say)
     * contributes its own UTF-8 bytes, as in HF.
     */
    static String decode(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String token : tokens) {
            byte[] mapped = fromByteChars(token);
            bytes.writeBytes(mapped != null ? mapped : token.getBytes(StandardCharsets.UTF_8));
        }
        return Utf8.decodeLossy(bytes.toByteArray());
    }

    /** The bytes a token stands for, or null if it has a character outside the byte alphabet. */
    private static byte[] fromByteChars(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return null;
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
