package sq.tokenizer;

import sq.io.InputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A BERT-style tokenizer.json (WordPiece model, usually BertNormalizer + BertPreTokenizer): the HF pipeline of
 * {@link HfTokenizer} with a WordPiece model instead of BPE. {@link #encode} gives the bare word-piece ids;
 * {@link #encodeForModel} adds the template's [CLS] ... [SEP] and truncates to {@link #maxLength()}, which is what
 * {@code encode(text, add_special_tokens=True)} gives with the file's truncation setting.
 */
public final class WordPieceTokenizer implements Tokenizer {
    private final AddedTokens rawAdded, normalizedAdded;
    private final Normalizer normalizer;     // null: none
    private final PreTokenizer preTokenizer; // null: the whole piece is one word
    private final WordPieceModel model;
    private final Decoder decoder;           // null: tokens joined with spaces
    private final Vocabulary vocabulary;
    private final OptionalInt clsId, sepId;
    private final int maxLength;

    /**
     * @param maxLength the truncation max_length of the file (special tokens included), or Integer.MAX_VALUE
     */
    WordPieceTokenizer(WordPieceModel model, List<AddedTokens.Token> added, Normalizer normalizer, PreTokenizer preTokenizer,
                       Decoder decoder, OptionalInt clsId, OptionalInt sepId, int maxLength) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.clsId = clsId;
        this.sepId = sepId;
        this.maxLength = maxLength;
        List<AddedTokens.Token> raw = new ArrayList<>(), normalized = new ArrayList<>();
        for (AddedTokens.Token t : added) {
            if (!t.normalized()) raw.add(t);
            else normalized.add(normalizer == null ? t : t.withContent(normalizer.normalize(t.content())));
        }
        this.rawAdded = new AddedTokens(raw);
        this.normalizedAdded = new AddedTokens(normalized);
        this.vocabulary = new Vocabulary(model.vocab(), added);
    }

    private WordPieceTokenizer(WordPieceTokenizer base, int maxLength) {
        this.rawAdded = base.rawAdded;
        this.normalizedAdded = base.normalizedAdded;
        this.normalizer = base.normalizer;
        this.preTokenizer = base.preTokenizer;
        this.model = base.model;
        this.decoder = base.decoder;
        this.vocabulary = base.vocabulary;
        this.clsId = base.clsId;
        this.sepId = base.sepId;
        this.maxLength = maxLength;
    }

    /** Loads a tokenizer.json (or a folder holding one) that must have a WordPiece model. */
    public static WordPieceTokenizer load(Path path) {
        Tokenizer t = Tokenizer.load(path);
        if (t instanceof WordPieceTokenizer w) return w;
        throw InputException.of(path, "not a WordPiece (BERT) tokenizer; its model type is not \"WordPiece\"");
    }

    /** The same tokenizer truncating to at most maxLength ids, [CLS] and [SEP] included. */
    public WordPieceTokenizer withMaxLength(int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("max length must leave room for [CLS] and [SEP], got " + maxLength);
        return new WordPieceTokenizer(this, maxLength);
    }

    /** Most ids {@link #encodeForModel} returns, special tokens included (Integer.MAX_VALUE: no truncation). */
    public int maxLength() {
        return maxLength;
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 4 + 8);
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
                if (preTokenizer == null) words.add(part);
                else preTokenizer.split(part, words);
                for (String word : words) model.encode(word, out);
            });
        });
        return out.toArray();
    }

    /**
     * [CLS] + word pieces + [SEP], the pieces cut (at the end) so that the whole fits {@link #maxLength()}
     * (HF's single-sequence template with truncation, direction right).
     */
    public int[] encodeForModel(String text) {
        int[] ids = encode(text);
        int specials = (clsId.isPresent() ? 1 : 0) + (sepId.isPresent() ? 1 : 0);
        int keep = (int) Math.min(ids.length, Math.max(0L, (long) maxLength - specials));
        int[] out = new int[keep + specials];
        int n = 0;
        if (clsId.isPresent()) out[n++] = clsId.getAsInt();
        System.arraycopy(ids, 0, out, n, keep);
        n += keep;
        if (sepId.isPresent()) out[n] = sepId.getAsInt();
        return out;
    }

    /** The same as {@link #encodeForModel}: the file's truncation applies as in HF. */
    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encodeForModel(text);
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

    /** [CLS] (the template's first special token). */
    @Override
    public OptionalInt bosId() {
        return clsId;
    }

    /** [SEP] (the template's last special token). */
    @Override
    public OptionalInt eosId() {
        return sepId;
    }
}
