package sq.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HF tokenizers' BPE model: a word (one pre-token) becomes one symbol per code point (with
 * byte fallback and unknown-token handling), then {@link BpeMerger} applies the ranked merges.
 */
final class BpeModel {
    /** Words this long are rare (HF caches below 256 too); caching them would only churn memory. */
    private static final int CACHE_MAX_WORD = 256;
    private static final int CACHE_MAX_ENTRIES = 500_000;

    /** One merge rule as serialized: {@code left + right} must itself be in the vocab. */
    record Merge(String left, String right) {
    }

    private final Map<String, Integer> vocab;
    private final PairTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final int[] byteIds;
    private final String continuingPrefix;
    private final String endSuffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param unkToken         null when the model has none (then unknown characters are dropped, as HF does)
     * @param continuingPrefix null or e.g. "##", put before every symbol but the first of a word
     * @param endSuffix        null or e.g. "</w>", put after the last symbol of a word
     * @throws IllegalArgumentException naming the first merge or token that is not in the vocab
     */
    BpeModel(Map<String, Integer> vocab, List<Merge> mergeList, String unkToken, boolean fuseUnk,
             boolean byteFallback, boolean ignoreMerges, String continuingPrefix, String endSuffix) {
        this.vocab = Map.copyOf(vocab);
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        this.continuingPrefix = continuingPrefix;
        this.endSuffix = endSuffix;
        this.unkId = unkToken == null ? -1 : idOf(unkToken, "unk_token");
        this.byteIds = byteFallback ? byteFallbackIds(vocab) : null;
        this.merges = new PairTable(mergeList.size());
        int prefixLength = continuingPrefix == null ? 0 : continuingPrefix.length();
        for (int rank = 0; rank < mergeList.size(); rank++) {
            Merge m = mergeList.get(rank);
            String where = "merges[" + rank + "]";
            // HF drops the right part's continuing-subword prefix when naming the merged token.
            String right = m.right().substring(Math.min(prefixLength, m.right().length()));
            merges.put(idOf(m.left(), where), idOf(m.right(), where), rank, idOf(m.left() + right, where));
        }
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    /** Appends the ids of one pre-token to {@code out}. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        if (word.length() >= CACHE_MAX_WORD) {
            out.addAll(merge(word));
            return;
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = merge(word);
            if (cache.size() < CACHE_MAX_ENTRIES) {
                cache.put(word, ids);
            }
        }
        out.addAll(ids);
    }

    private int[] merge(String word) {
        IntList symbols = new IntList(word.length() + 1);
        boolean unkPending = false; // an unknown-character run not yet emitted (fuse_unk extends it)
        for (int i = 0; i < word.length(); ) {
            int end = i + Character.charCount(word.codePointAt(i));
            String symbol = word.substring(i, end);
            if (i > 0 && continuingPrefix != null) {
                symbol = continuingPrefix + symbol;
            }
            if (end == word.length() && endSuffix != null) {
                symbol = symbol + endSuffix;
            }
            i = end;
            Integer id = vocab.get(symbol);
            if (id != null) {
                if (unkPending) {
                    symbols.add(unkId);
                    unkPending = false;
                }
                symbols.add(id);
            } else if (!addBytes(symbol, symbols) && unkId >= 0) {
                // Like HF, byte-fallback symbols do not flush a pending unk, and without an unk
                // token an unknown character is dropped.
                if (unkPending && !fuseUnk) {
                    symbols.add(unkId);
                }
                unkPending = true;
            }
        }
        if (unkPending) {
            symbols.add(unkId);
        }
        int n = BpeMerger.mergeAll(symbols.raw(), symbols.size(), merges);
        return Arrays.copyOf(symbols.raw(), n);
    }

    /** Byte fallback: all UTF-8 bytes of the symbol as {@code <0xXX>} tokens, or nothing if one is missing. */
    private boolean addBytes(String symbol, IntList symbols) {
        if (byteIds == null) {
            return false;
        }
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            symbols.add(byteIds[b & 0xFF]);
        }
        return true;
    }

    private static int[] byteFallbackIds(Map<String, Integer> vocab) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            ids[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
        return ids;
    }

    private int idOf(String token, String where) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException(where + ": token \"" + token + "\" is not in the vocab");
        }
        return id;
    }
}
