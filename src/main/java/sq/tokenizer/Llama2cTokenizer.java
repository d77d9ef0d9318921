package sq.tokenizer;

import sq.io.InputException;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The tokenizer of llama2.c ({@code tokenizer.bin}, {@code tok512.bin}): little-endian int32
 * max_token_length, then per token float32 score, int32 byte length, bytes. Ids 0, 1, 2 are
 * unk, BOS, EOS; 3..258 the byte tokens {@code <0x00>..<0xFF>}.
 *
 * <p>{@link #encode} is llama2.c's {@code encode(text, bos=0, eos=0)}: a dummy-prefix space when the
 * text is not empty, one token per UTF-8 character (unknown ones as byte tokens, byte + 3), then
 * repeatedly merge the adjacent pair whose concatenation is the highest-scoring vocab entry,
 * leftmost on ties. Special-token strings in the text are not recognised, as in llama2.c.
 * {@link #decode} and {@link #token} match the equivalent Hugging Face tokenizer.json (pieces
 * spelled with "▁", SentencePiece decoding that drops the first leading space).
 */
public final class Llama2cTokenizer implements Tokenizer {
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int BYTE_OFFSET = 3;
    /** llama2.c starts its best-score search at -1e10, so such pieces never merge. */
    private static final float MIN_MERGE_SCORE = -1e10f;
    private static final Decoder SENTENCEPIECE = Decoder.sequence(List.of(
            Decoder.replace(Pattern.compile("▁", Pattern.LITERAL), " "),
            Decoder.byteFallback(), Decoder.fuse(), Decoder.strip(' ', 1, 0)));

    /** Token bytes as ISO-8859-1 strings: one char per byte, so pieces compare and concatenate as bytes. */
    private final String[] pieces;
    private final Map<String, Integer> pieceIds = new HashMap<>();
    private final String[] tokens;
    private final Map<String, Integer> tokenIds = new HashMap<>();
    private final PairTable pairs;
    private final int spaceId;

    private Llama2cTokenizer(Path file, String[] pieces, float[] scores) {
        this.pieces = pieces;
        for (int id = pieces.length - 1; id >= 0; id--) {
            pieceIds.put(pieces[id], id); // lowest id wins for duplicate pieces
        }
        if (pieces.length < BYTE_OFFSET + 256) {
            throw InputException.of(file, "has " + pieces.length + " tokens; llama2.c needs at least "
                    + (BYTE_OFFSET + 256) + " (unk, BOS, EOS, 256 byte tokens)");
        }
        Integer space = pieceIds.get(" ");
        if (space == null) {
            throw InputException.of(file, "has no \" \" token (llama2.c's dummy prefix)");
        }
        this.spaceId = space;
        this.tokens = new String[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            String text = new String(pieces[id].getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            // llama2.c stores BOS/EOS as "\n<s>\n", "\n</s>\n"; HF names them "<s>", "</s>".
            tokens[id] = id <= EOS ? text.strip() : text.replace(' ', '▁');
            tokenIds.putIfAbsent(tokens[id], id);
        }
        this.pairs = pairTable(scores);
    }

    /**
     * Largest tokenizer file read (Llama 2's tokenizer.bin is 424 KB). With {@link #MAX_TOKEN_LENGTH} it bounds the
     * merge-table construction, which looks at every way to cut every piece in two.
     */
    static final long MAX_FILE_BYTES = 16L << 20;
    /** llama2.c's own buffers are sized by max_token_length; real files say 27 or less. */
    static final int MAX_TOKEN_LENGTH = 1024;

    /** @throws InputException if the file is missing, truncated or has impossible lengths */
    public static Llama2cTokenizer load(Path file) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw InputException.of(file, Files.exists(file) ? "not a regular file" : "no such file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw InputException.of(file, size + " bytes is larger than the " + MAX_FILE_BYTES + "-byte limit for a llama2.c tokenizer");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "no such file");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e);
        }
        return parse(file, bytes);
    }

    /** Parses the bytes of a llama2.c tokenizer; file only names it in messages. */
    static Llama2cTokenizer parse(Path file, byte[] bytes) {
        if (bytes.length > MAX_FILE_BYTES) {
            throw InputException.of(file, bytes.length + " bytes is larger than the " + MAX_FILE_BYTES + "-byte limit for a llama2.c tokenizer");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<String> pieces = new ArrayList<>();
        float[] scores = new float[64];
        try {
            int maxTokenLength = in.getInt();
            if (maxTokenLength <= 0 || maxTokenLength > MAX_TOKEN_LENGTH) {
                throw InputException.of(file, "max_token_length " + maxTokenLength + " is outside 1.." + MAX_TOKEN_LENGTH
                        + "; not a llama2.c tokenizer");
            }
            // The file does not store the vocab size: tokens run to the end of the file.
            while (in.hasRemaining()) {
                float score = in.getFloat();
                int length = in.getInt();
                if (length < 0 || length > in.remaining()) {
                    throw InputException.of(file, "token " + pieces.size() + " has length " + length
                            + " but " + in.remaining() + " bytes remain");
                }
                if (length > maxTokenLength) {
                    throw InputException.of(file, "token " + pieces.size() + " has length " + length
                            + ", more than the file's max_token_length " + maxTokenLength);
                }
                byte[] piece = new byte[length];
                in.get(piece);
                if (pieces.size() == scores.length) {
                    scores = Arrays.copyOf(scores, scores.length * 2);
                }
                scores[pieces.size()] = score;
                pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
            }
        } catch (BufferUnderflowException e) {
            throw InputException.of(file, "truncated after " + pieces.size() + " tokens");
        }
        return new Llama2cTokenizer(file, pieces.toArray(String[]::new), scores);
    }

    /**
     * Every way to write a piece as the concatenation of two pieces is a merge; ranks order the
     * merged pieces by score, highest first, with equal scores sharing a rank so that position
     * decides (llama2.c keeps the leftmost of equally good pairs).
     */
    private PairTable pairTable(float[] scores) {
        Integer[] byScore = new Integer[pieces.length];
        Arrays.setAll(byScore, i -> i);
        Arrays.sort(byScore, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] rank = new int[pieces.length];
        for (int i = 1; i < byScore.length; i++) {
            boolean tie = scores[byScore[i]] == scores[byScore[i - 1]];
            rank[byScore[i]] = tie ? rank[byScore[i - 1]] : i;
        }
        PairTable table = new PairTable(pieces.length * 4);
        for (int id = 0; id < pieces.length; id++) {
            if (!(scores[id] > MIN_MERGE_SCORE) || pieceIds.get(pieces[id]) != id) {
                continue;
            }
            String piece = pieces[id];
            for (int cut = 1; cut < piece.length(); cut++) {
                Integer left = pieceIds.get(piece.substring(0, cut));
                Integer right = pieceIds.get(piece.substring(cut));
                if (left != null && right != null) {
                    table.put(left, right, rank[id], id);
                }
            }
        }
        return table;
    }

    @Override
    public int[] encode(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] symbols = new int[bytes.length + 1];
        int n = 0;
        symbols[n++] = spaceId;
        for (int i = 0; i < bytes.length; ) {
            // A lead byte and its continuation bytes, at most 4 (llama2.c's str_len < 4 check).
            int end = i + 1;
            while (end < bytes.length && end - i < 4 && (bytes[end] & 0xC0) == 0x80) {
                end++;
            }
            Integer id = pieceIds.get(new String(bytes, i, end - i, StandardCharsets.ISO_8859_1));
            if (id != null) {
                symbols[n++] = id;
            } else {
                for (int k = i; k < end; k++) {
                    symbols[n++] = (bytes[k] & 0xFF) + BYTE_OFFSET;
                }
            }
            i = end;
        }
        return Arrays.copyOf(symbols, BpeMerger.mergeAll(symbols, n, pairs));
    }

    @Override
    public String decode(int[] ids) {
        List<String> parts = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < tokens.length) {
                parts.add(tokens[id]);
            }
        }
        return SENTENCEPIECE.decode(parts);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String token(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("no token with id " + id);
        }
        return tokens[id];
    }

    @Override
    public OptionalInt id(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** llama2.c's {@code encode(text, bos=1, eos=0)}, as the HF conversion's template (BOS, then the text). */
    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return PostProcessor.bos(BOS).apply(encode(text));
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(EOS);
    }
}
