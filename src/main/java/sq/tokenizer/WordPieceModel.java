package sq.tokenizer;

/**
 * HF tokenizers' WordPiece model: a word becomes its greedy longest-match-first pieces from the vocab, every piece
 * after the first spelled with the continuing-subword prefix ("##"); a word with a part no piece matches, or longer
 * than max_input_chars_per_word code points, becomes the single unknown token.
 */
final class WordPieceModel {
    private final TokenIndex vocab;
    private final int unkId;
    private final String prefix;
    private final int maxInputChars;

    /** @throws IllegalArgumentException if the unknown token is not in the vocab */
    WordPieceModel(TokenIndex vocab, String unkToken, String prefix, int maxInputChars) {
        this.vocab = vocab;
        int unk = vocab.get(unkToken);
        if (unk < 0) throw new IllegalArgumentException("unk_token \"" + unkToken + "\" is not in the vocab");
        this.unkId = unk;
        this.prefix = prefix;
        this.maxInputChars = maxInputChars;
    }

    TokenIndex vocab() {
        return vocab;
    }

    String prefix() {
        return prefix;
    }

    /** Appends the ids of one pre-tokenized word. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) return;
        if (word.codePointCount(0, word.length()) > maxInputChars) {
            out.add(unkId);
            return;
        }
        IntList pieces = new IntList(8);
        int start = 0;
        StringBuilder candidate = new StringBuilder(word.length() + prefix.length());
        while (start < word.length()) {
            int end = word.length();
            int found = -1;
            while (start < end) {
                candidate.setLength(0);
                if (start > 0) candidate.append(prefix);
                candidate.append(word, start, end);
                int id = vocab.get(candidate.toString());
                if (id >= 0) {
                    found = id;
                    break;
                }
                end -= Character.charCount(word.codePointBefore(end));
            }
            if (found < 0) { // a part no piece matches: the whole word is unknown
                out.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces.toArray());
    }
}
