package sq.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
    private static final int UNSEEN = -2;

    private final TokenIndex vocab;
    private final PairTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final int[] byteIds;
    private final String continuingPrefix;
    private final String endSuffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /**
     * One-char symbol -> its id, -1 when not in the vocab, {@link #UNSEEN} before the first lookup: a whole file
     * without spaces (Gemma 3 turns them into U+2581) is one word of a million chars. Racing writers store the same value.
     */
    private final int[] charIds = new int[Character.MAX_VALUE + 1];

    /**
     * @param merges           the merge rules by rank, as serialized: {@code merges[2 * rank]} and
     *                         {@code merges[2 * rank + 1]} are the left and right parts; their concatenation must
     *                         itself be in the vocab
     * @param mergeCount       number of merge rules in {@code merges}
     * @param unkToken         null when the model has none (then unknown characters are dropped, as HF does)
     * @param continuingPrefix null or e.g. "##", put before every symbol but the first of a word
     * @param endSuffix        null or e.g. "</w>", put after the last symbol of a word
     * @throws IllegalArgumentException naming the first merge or token that is not in the vocab
     */
    BpeModel(TokenIndex vocab, String[] merges, int mergeCount, String unkToken, boolean fuseUnk,
             boolean byteFallback, boolean ignoreMerges, String continuingPrefix, String endSuffix) {
        this.vocab = vocab;
        Arrays.fill(charIds, UNSEEN);
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        this.continuingPrefix = continuingPrefix;
        this.endSuffix = endSuffix;
        this.unkId = unkToken == null ? -1 : idOf(unkToken, "unk_token");
        this.byteIds = byteFallback ? byteFallbackIds(vocab) : null;
        this.merges = new PairTable(mergeCount);
        int prefixLength = continuingPrefix == null ? 0 : continuingPrefix.length();
        for (int rank = 0; rank < mergeCount; rank++) {
            String left = merges[2 * rank], right = merges[2 * rank + 1];
            int leftId = vocab.get(left), rightId = vocab.get(right);
            if (leftId < 0) throw notInVocab("merges[" + rank + "]", left);
            if (rightId < 0) throw notInVocab("merges[" + rank + "]", right);
            // HF drops the right part's continuing-subword prefix when naming the merged token.
            String rightName = prefixLength == 0 ? right : right.substring(Math.min(prefixLength, right.length()));
            int mergedId = vocab.get(left, rightName);
            if (mergedId < 0) throw notInVocab("merges[" + rank + "]", left + rightName);
            this.merges.put(leftId, rightId, rank, mergedId);
        }
    }

    TokenIndex vocab() {
        return vocab;
    }

    /** Appends the ids of one pre-token to {@code out}. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            int whole = vocab.get(word);
            if (whole >= 0) {
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
            boolean plain = (i == 0 || continuingPrefix == null) && (end < word.length() || endSuffix == null);
            String symbol = null;
            int id;
            if (plain && end == i + 1) {
                char c = word.charAt(i);
                id = charIds[c];
                if (id == UNSEEN) {
                    id = charIds[c] = vocab.get(String.valueOf(c));
                }
            } else {
                symbol = word.substring(i, end);
                if (i > 0 && continuingPrefix != null) {
                    symbol = continuingPrefix + symbol;
                }
                if (end == word.length() && endSuffix != null) {
                    symbol = symbol + endSuffix;
                }
                id = vocab.get(symbol);
            }
            if (id < 0 && symbol == null) {
                symbol = word.substring(i, end);
            }
            i = end;
            if (id >= 0) {
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

    private static int[] byteFallbackIds(TokenIndex vocab) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            ids[b] = vocab.get(String.format("<0x%02X>", b));
        }
        return ids;
    }

    private int idOf(String token, String where) {
        int id = vocab.get(token);
        if (id < 0) throw notInVocab(where, token);
        return id;
    }

    private static IllegalArgumentException notInVocab(String where, String token) {
        return new IllegalArgumentException(where + ": token \"" + token + "\" is not in the vocab");
    }
}
