package sq.tokenizer;

import java.util.Arrays;

/** Growable int array: token streams of whole files run to ~10^6 ids, too many to box. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(capacity, 8)];
    }

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    void addAll(int[] more) {
        if (size + more.length > values.length) {
            values = Arrays.copyOf(values, Math.max(size * 2, size + more.length));
        }
        System.arraycopy(more, 0, values, size, more.length);
        size += more.length;
    }

    int size() {
        return size;
    }

    /** The backing array; only the first {@link #size()} entries are meaningful. */
    int[] raw() {
        return values;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
