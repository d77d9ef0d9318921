package sq.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private final String[] tokens;           // by id; added tokens win over the model vocab
    private final Map<String, Integer> idsByToken;
    private final OptionalInt bosId;
    private final OptionalInt eosId;

    HfTokenizer(BpeModel model, List<AddedTokens.Token> added, Normalizer normalizer, PreTokenizer preTokenizer,
                Decoder decoder, OptionalInt bosId, OptionalInt eosId) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.bosId = bosId;
        this.eosId = eosId;
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
        this.idsByToken = new HashMap<>(model.vocab());
        int maxId = model.vocab().values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        for (AddedTokens.Token t : added) {
            idsByToken.put(t.content(), t.id());
            maxId = Math.max(maxId, t.id());
        }
        this.tokens = new String[maxId + 1];
        model.vocab().forEach((token, id) -> tokens[id] = token);
        for (AddedTokens.Token t : added) {
            tokens[t.id()] = t.content();
        }
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
    public String decode(int[] ids) {
        List<String> parts = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < tokens.length && tokens[id] != null) {
                parts.add(tokens[id]);
            }
        }
        return decoder == null ? String.join(" ", parts) : decoder.decode(parts);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String token(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new IllegalArgumentException("no token with id " + id);
        }
        return tokens[id];
    }

    @Override
    public OptionalInt id(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public OptionalInt bosId() {
        return bosId;
    }

    @Override
    public OptionalInt eosId() {
        return eosId;
    }
}
