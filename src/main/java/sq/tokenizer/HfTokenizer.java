package sq.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The HF tokenizers pipeline for a BPE model: split off added tokens in the raw text, normalize
 * each remaining piece, split off normalized added tokens, pre-tokenize into words, BPE each word.
 */
final class HfTokenizer implements Tokenizer {
    private final AddedTokens rawAdded;
    private final AddedTokens normalizedAdded;
    private final Normalizer normalizer;     // null: none
    private final PreTokenizer preTokenizer; // null: the whole normalized piece is one word
    private final BpeModel model;
    private final Decoder decoder;           // null: tokens joined with spaces, as HF does
    private final Vocabulary vocabulary;
    private final PostProcessor post;

    HfTokenizer(BpeModel model, List<AddedTokens.Token> added, Normalizer normalizer, PreTokenizer preTokenizer,
                Decoder decoder, PostProcessor post) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.post = post;
        List<AddedTokens.Token> raw = new ArrayList<>();
        List<AddedTokens.Token> normalized = new ArrayList<>();
        for (AddedTokens.Token t : added) {
            if (!t.normalized()) {
                raw.add(t);
            } else {
                // Matched after normalization, so the pattern is normalized too (as HF does).
                normalized.add(normalizer == null ? t : t.withContent(normalizer.normalize(t.content())));
            }
        }
        this.rawAdded = new AddedTokens(raw);
        this.normalizedAdded = new AddedTokens(normalized);
        this.vocabulary = new Vocabulary(model.vocab(), added);
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 16);
        List<String> words = new ArrayList<>();
        rawAdded.split(text, (piece, id) -> {
            if (id >= 0) {
                out.add(id);
                return;
            }
            String normalizedPiece = normalizer == null ? piece : normalizer.normalize(piece);
            normalizedAdded.split(normalizedPiece, (part, partId) -> {
                if (partId >= 0) {
                    out.add(partId);
                    return;
                }
                words.clear();
                if (preTokenizer == null) {
                    words.add(part);
                } else {
                    preTokenizer.split(part, words);
                }
                for (String word : words) {
                    model.encode(word, out);
                }
            });
        });
        return out.toArray();
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return post.apply(encode(text));
    }

    @Override
    public String decode(int[] ids) {
        return vocabulary.decode(ids, decoder);
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public String token(int id) {
        return vocabulary.token(id);
    }

    @Override
    public OptionalInt id(String token) {
        return vocabulary.id(token);
    }

    @Override
    public OptionalInt bosId() {
        return post.first();
    }

    @Override
    public OptionalInt eosId() {
        return post.last();
    }
}
