package sq.io;

import java.util.Locale;

/** Safetensors element types we read and write, with their byte sizes. */
public enum DType {
    F32(4), F16(2), BF16(2), I8(1), U8(1), I32(4), I64(8);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Parses a safetensors dtype string; null when it is not one we support. */
    public static DType parse(String s) {
        if (s == null) return null;
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }
}
