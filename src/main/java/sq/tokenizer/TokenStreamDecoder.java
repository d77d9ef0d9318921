package sq.tokenizer;

import java.util.Arrays;

/**
 * Decodes generated ids one at a time without breaking multi-byte characters: text is released
 * only once it no longer ends in an incomplete UTF-8 sequence (U+FFFD) nor in a byte-fallback
 * token ({@code <0xXX>}: HF turns every byte of an invalid run into U+FFFD, so a run is final only
 * when a normal token follows). The concatenation of everything {@link #next} and {@link #flush}
 * return equals {@code decode(all ids)}.
 *
 * <p>Same scheme as HF's {@code DecodeStream}: each step decodes a short window of recent ids and
 * returns what goes beyond the window's previously released text, so the cost per id stays flat and
 * decoders that look at their first token (SentencePiece's leading-space strip) see the same context
 * twice. Not thread-safe: one per generation.
 */
public final class TokenStreamDecoder {
    private final Tokenizer tokenizer;
    private int[] window = new int[0];
    /** Number of ids at the start of {@link #window} whose text {@link #prefix} already released. */
    private int prefixIds;
    private String prefix = "";

    public TokenStreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one id and returns the text it completes, possibly "" (e.g. half a character so far). */
    public String next(int id) {
        window = Arrays.copyOf(window, window.length + 1);
        window[window.length - 1] = id;
        return release(false);
    }

    /** Returns whatever is still held back (an incomplete character decodes to U+FFFD, as decode does). */
    public String flush() {
        return release(true);
    }

    private String release(boolean force) {
        String text = tokenizer.decode(window);
        if (!force && (text.length() <= prefix.length() || text.endsWith("\uFFFD") || endsInByteToken())) {
            return "";
        }
        // Released text is final by the rules above; should a decoder still rewrite it, keep
        // going after its length rather than fail in the middle of a generation.
        String fresh = text.length() > prefix.length() ? text.substring(prefix.length()) : "";
        // The ids just released become the context of the next step.
        window = Arrays.copyOfRange(window, prefixIds, window.length);
        prefixIds = window.length;
        prefix = tokenizer.decode(window);
        return fresh;
    }

    private boolean endsInByteToken() {
        try {
            return Decoder.byteValue(tokenizer.token(window[window.length - 1])) >= 0;
        } catch (IllegalArgumentException e) {
            return false; // an id without a token decodes to nothing
        }
    }
}
