package sq.eval;

import sq.io.InputException;

import java.util.Arrays;

/**
 * The fixtures' window protocol: a token stream cut into non-overlapping windows ids[i*T, (i+1)*T),
 * each run independently from an empty cache.
 */
public record Windows(int[] stream, int length, int first, int count) {

    /** Windows first .. first+count-1 of length T; fails when the stream is too short for even one. */
    public static Windows of(int[] stream, int length, int first, int count, String source) {
        if (length < 2) throw new InputException("window length must be at least 2, got " + length);
        if (count < 1) throw new InputException("number of windows must be at least 1, got " + count);
        long needed = (long) (first + count) * length;
        if (needed > stream.length)
            throw new InputException(source + ": " + stream.length + " tokens is too short for windows " + first + ".."
                    + (first + count - 1) + " of " + length + " tokens (needs " + needed + ")");
        return new Windows(stream, length, first, count);
    }

    public int[] window(int i) {
        int from = (first + i) * length;
        return Arrays.copyOfRange(stream, from, from + length);
    }
}
