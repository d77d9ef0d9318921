package sq.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** Token strings by id and ids by token string: the model vocab plus added tokens (which win on a clash). */
final class Vocabulary {
    private final String[] tokens;
    private final TokenIndex idsByToken;

    Vocabulary(TokenIndex vocab, List<AddedTokens.Token> added) {
        idsByToken = vocab.copy();
        int maxId = -1;
        for (int e = 0; e < vocab.size(); e++) maxId = Math.max(maxId, vocab.id(e));
        for (AddedTokens.Token t : added) {
            idsByToken.put(t.content(), t.id());
            maxId = Math.max(maxId, t.id());
        }
        tokens = new String[maxId + 1];
        for (int e = 0; e < vocab.size(); e++) tokens[vocab.id(e)] = vocab.token(e);
        for (AddedTokens.Token t : added) tokens[t.id()] = t.content();
    }

    /** One more than the largest id. */
    int size() {
        return tokens.length;
    }

    String token(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) throw new IllegalArgumentException("no token with id " + id);
        return tokens[id];
    }

    OptionalInt id(String token) {
        int id = idsByToken.get(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Text of ids: their token strings, skipping ids without a token (as HF's decode does), through the decoder, or
     * joined with spaces where there is none (as HF does).
     */
    String decode(int[] ids, Decoder decoder) {
        List<String> parts = new ArrayList<>(ids.length);
        for (int id : ids)
            if (id >= 0 && id < tokens.length && tokens[id] != null) parts.add(tokens[id]);
        return decoder == null ? String.join(" ", parts) : decoder.decode(parts);
    }
}
