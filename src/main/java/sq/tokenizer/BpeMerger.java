package sq.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge loop of HF tokenizers' {@code Word::merge_all}: repeatedly merge the adjacent pair
 * with the lowest rank, leftmost on ties. A heap of candidate pairs keyed by (rank, position) with
 * lazy invalidation keeps it O(n log n), which matters when a whole 1 MB file is one word (sp512
 * has no pre-tokenizer).
 */
final class BpeMerger {
    private BpeMerger() {
    }

    /**
     * Merges {@code symbols[0..n)} in place and returns the new length.
     */
    static int mergeAll(int[] symbols, int n, PairTable pairs) {
        if (n < 2) {
            return n;
        }
        // Doubly linked list over positions; a merged-away symbol is marked -1.
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        Heap heap = new Heap(n);
        for (int i = 0; i + 1 < n; i++) {
            heap.append(pairs.get(symbols[i], symbols[i + 1]), i);
        }
        heap.heapify();
        while (heap.size > 0) {
            int pos = heap.topPosition();
            int merged = heap.topMerged();
            heap.pop();
            int right = next[pos];
            if (symbols[pos] < 0 || right >= n) {
                continue;
            }
            // Stale entry: the pair at pos changed since it was queued (HF compares the merged id).
            long current = pairs.get(symbols[pos], symbols[right]);
            if (current < 0 || PairTable.merged(current) != merged) {
                continue;
            }
            symbols[pos] = merged;
            symbols[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after < n) {
                prev[after] = pos;
                heap.offer(pairs.get(merged, symbols[after]), pos);
            }
            int before = prev[pos];
            if (before >= 0) {
                heap.offer(pairs.get(symbols[before], merged), before);
            }
        }
        int count = 0;
        for (int i = 0; i < n; i = next[i]) {
            symbols[count++] = symbols[i];
        }
        return count;
    }

    /** Binary min-heap of (rank << 32 | position) with the merged id alongside. */
    private static final class Heap {
        private long[] keys;
        private int[] merged;
        private int size;

        Heap(int capacity) {
            keys = new long[capacity];
            merged = new int[capacity];
        }

        /**
         * Adds the pair at {@code position} if {@code entry} (from {@link PairTable#get}) is a merge, without ordering:
         * {@link #heapify} orders them all in O(n). Equal keys carry equal merged ids, so any heap order pops the same.
         */
        void append(long entry, int position) {
            if (entry >= 0) {
                keys[size] = ((long) PairTable.rank(entry) << 32) | position;
                merged[size++] = PairTable.merged(entry);
            }
        }

        void heapify() {
            for (int i = size / 2 - 1; i >= 0; i--) {
                siftDown(i, keys[i], merged[i]);
            }
        }

        /** Queues the pair at {@code position} if {@code entry} (from {@link PairTable#get}) is a merge. */
        void offer(long entry, int position) {
            if (entry < 0) {
                return;
            }
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                merged = Arrays.copyOf(merged, size * 2);
            }
            long key = ((long) PairTable.rank(entry) << 32) | position;
            int value = PairTable.merged(entry);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                merged[i] = merged[parent];
                i = parent;
            }
            keys[i] = key;
            merged[i] = value;
        }

        int topPosition() {
            return (int) keys[0];
        }

        int topMerged() {
            return merged[0];
        }

        void pop() {
            size--;
            siftDown(0, keys[size], merged[size]);
        }

        /** Puts (key, value) at {@code i} or below, moving smaller children up. */
        private void siftDown(int i, long key, int value) {
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (key <= keys[child]) {
                    break;
                }
                keys[i] = keys[child];
                merged[i] = merged[child];
                i = child;
            }
            keys[i] = key;
            merged[i] = value;
        }
    }
}
