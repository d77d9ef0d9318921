package sq.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * HF tokenizers' WordPiece decoder: tokens after the first lose their continuing-subword prefix ("##") or get a
 * leading space; with cleanup, spaces before punctuation and English contractions go (" ." -&gt; ".", " n't" -&gt; "n't").
 */
final class WordPieceDecoder implements Decoder {
    private final String prefix;
    private final boolean cleanup;

    WordPieceDecoder(String prefix, boolean cleanup) {
        this.prefix = prefix;
        this.cleanup = cleanup;
    }

    @Override
    public List<String> decodeChain(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i != 0) t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
            out.add(cleanup ? cleanup(t) : t);
        }
        return out;
    }

    static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }
}
