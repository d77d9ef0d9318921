package sq.tokenizer;

import java.util.Arrays;

/**
 * Token string -> id: open addressing over the strings' own (cached) hash codes, entries kept in the order they were
 * first put. A 262k vocabulary loads with a few arrays instead of a boxed map, and {@link #get(String, String)} finds
 * a merge's result {@code left + right} without building that string.
 */
final class TokenIndex {
    /** 31^k for short k: the factor that {@link String#hashCode} gives a prefix before k more characters. */
    private static final int[] POW31 = new int[64];

    static {
        POW31[0] = 1;
        for (int k = 1; k < POW31.length; k++) POW31[k] = POW31[k - 1] * 31;
    }

    private String[] tokens; // entry -> token, in first-put order
    private int[] ids;       // entry -> id
    private int size;
    private long[] slots;    // hash slot -> the token's hash << 32 | entry + 1; 0 when empty

    TokenIndex(int expected) {
        int capacity = Math.max(expected, 4);
        tokens = new String[capacity];
        ids = new int[capacity];
        slots = new long[Integer.highestOneBit(capacity * 2 - 1) << 1];
    }

    private TokenIndex(TokenIndex other) {
        tokens = other.tokens.clone();
        ids = other.ids.clone();
        size = other.size;
        slots = other.slots.clone();
    }

    TokenIndex copy() {
        return new TokenIndex(this);
    }

    /** Maps {@code token} to {@code id}; a token already present keeps its place and takes the new id. Returns its entry. */
    int put(String token, int id) {
        int hash = token.hashCode();
        int slot = slot(token, hash);
        if (slots[slot] != 0) {
            int entry = entry(slots[slot]);
            ids[entry] = id;
            return entry;
        }
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
            ids = Arrays.copyOf(ids, size * 2);
        }
        tokens[size] = token;
        ids[size] = id;
        slots[slot] = (long) hash << 32 | ++size;
        if (size * 2 > slots.length) rehash();
        return size - 1;
    }

    /** The id of {@code token}, or -1. */
    int get(String token) {
        long s = slots[slot(token, token.hashCode())];
        return s == 0 ? -1 : ids[entry(s)];
    }

    /** The id of {@code left + right}, or -1. */
    int get(String left, String right) {
        int hash = left.hashCode() * pow31(right.length()) + right.hashCode();
        int length = left.length() + right.length();
        int mask = slots.length - 1;
        for (int slot = spread(hash) & mask; ; slot = (slot + 1) & mask) {
            long s = slots[slot];
            if (s == 0) return -1;
            if ((int) (s >>> 32) == hash) {
                String t = tokens[entry(s)];
                if (t.length() == length && t.startsWith(left) && t.startsWith(right, left.length())) return ids[entry(s)];
            }
        }
    }

    int size() {
        return size;
    }

    /** The token of the {@code entry}-th distinct token put. */
    String token(int entry) {
        return tokens[entry];
    }

    int id(int entry) {
        return ids[entry];
    }

    void setId(int entry, int id) {
        ids[entry] = id;
    }

    /** The slot holding {@code token}, or the empty slot where it would go. */
    private int slot(String token, int hash) {
        int mask = slots.length - 1;
        for (int slot = spread(hash) & mask; ; slot = (slot + 1) & mask) {
            long s = slots[slot];
            if (s == 0 || (int) (s >>> 32) == hash && tokens[entry(s)].equals(token)) return slot;
        }
    }

    private static int entry(long slot) {
        return (int) slot - 1;
    }

    private void rehash() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long s : old) {
            if (s == 0) continue;
            int slot = spread((int) (s >>> 32)) & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = s;
        }
    }

    /** String hashes of similar tokens differ in low bits only; mix them before masking. */
    private static int spread(int h) {
        int x = h * 0x9E3779B9;
        return x ^ (x >>> 16);
    }

    private static int pow31(int k) {
        if (k < POW31.length) return POW31[k];
        int p = 1, base = 31;
        for (; k > 0; k >>= 1, base *= base) if ((k & 1) != 0) p *= base;
        return p;
    }
}
