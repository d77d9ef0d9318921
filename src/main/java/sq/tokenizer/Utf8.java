package sq.tokenizer;

/**
 * UTF-8 decoding with Rust's {@code String::from_utf8_lossy} rules (one U+FFFD per maximal
 * invalid subpart). The JDK decoder differs on encoded surrogates (ED A0 ..), and decoded text
 * must match HF byte for byte.
 */
final class Utf8 {
    private Utf8() {
    }

    static String decodeLossy(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int length = sequence(bytes, i);
            if (length > 0) {
                out.append(new String(bytes, i, length, java.nio.charset.StandardCharsets.UTF_8));
                i += length;
            } else {
                out.append('\uFFFD');
                i -= length;
            }
        }
        return out.toString();
    }

    static boolean isValid(byte[] bytes) {
        for (int i = 0; i < bytes.length; ) {
            int length = sequence(bytes, i);
            if (length < 0) {
                return false;
            }
            i += length;
        }
        return true;
    }

    /** Length of the valid character at {@code i}, or minus the length of the invalid subpart there. */
    private static int sequence(byte[] b, int i) {
        int first = b[i] & 0xFF;
        if (first < 0x80) {
            return 1;
        }
        int width;
        int low = 0x80; // allowed range of the second byte (excludes overlongs, surrogates, > U+10FFFF)
        int high = 0xBF;
        if (first >= 0xC2 && first <= 0xDF) {
            width = 2;
        } else if (first >= 0xE0 && first <= 0xEF) {
            width = 3;
            if (first == 0xE0) {
                low = 0xA0;
            } else if (first == 0xED) {
                high = 0x9F;
            }
        } else if (first >= 0xF0 && first <= 0xF4) {
            width = 4;
            if (first == 0xF0) {
                low = 0x90;
            } else if (first == 0xF4) {
                high = 0x8F;
            }
        } else {
            return -1;
        }
        for (int k = 1; k < width; k++) {
            int next = i + k < b.length ? b[i + k] & 0xFF : -1;
            boolean ok = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
            if (!ok) {
                return -k;
            }
        }
        return width;
    }
}
