package sq.serve;

import sq.bert.BertEncoder;
import sq.bert.BertModel;
import sq.bert.BertModels;
import sq.bert.BertQuantizer;
import sq.bert.OnnxBert;
import sq.quant.Scheme;
import sq.tokenizer.WordPieceTokenizer;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedding model of POST /v1/embeddings: a BERT encoder (MiniLM, bge-small or an .onnx path, see
 * {@link BertModels}) in int8, naive W8A8 (per-channel weights, per-token dynamic activations, int8 attention
 * inputs): no calibration data is needed, and docs/BERT.md measures it at mean cosine 0.9968 to fp32 on MiniLM.
 * One sentence at a time under a lock: the encoder's int8 buffers and the kernels' thread pool serve one pass.
 */
public final class ServedEncoder {
    private final String id;
    private final BertEncoder encoder;
    private final WordPieceTokenizer tokenizer;
    private final ReentrantLock lock = new ReentrantLock();

    public ServedEncoder(String id, BertEncoder encoder, WordPieceTokenizer tokenizer) {
        this.id = id;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
    }

    /** Resolves spec (a known name or a path), reads the ONNX file and quantizes it. */
    public static ServedEncoder load(String spec) {
        BertModels.ModelFiles f = BertModels.resolve(spec);
        BertModel q = int8(OnnxBert.load(f.onnx()));
        WordPieceTokenizer t = WordPieceTokenizer.load(f.tokenizer());
        // a tokenizer file without truncation (bge) still fits the model's positions
        t = t.withMaxLength(Math.min(t.maxLength(), q.config().maxPositions()));
        return new ServedEncoder(f.name(), new BertEncoder(q, f.pooling()), t);
    }

    /** The W8A8 int8 encoder served here (stats are only read by static schemes). */
    public static BertModel int8(BertModel fp32) {
        return BertQuantizer.quantize(fp32, Scheme.parse("w8a8"), null, BertQuantizer.Engine.INT8);
    }

    public String id() {
        return id;
    }

    public int dimensions() {
        return encoder.model().config().hidden();
    }

    public int vocab() {
        return encoder.model().config().vocab();
    }

    public int maxPositions() {
        return encoder.model().config().maxPositions();
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    /** [CLS] + word pieces + [SEP], truncated as the tokenizer file says (sentence-transformers does the same). */
    public int[] encode(String text) {
        return tokenizer.encodeForModel(text);
    }

    /** The L2-normalized embedding of ids as given ([CLS] ... [SEP] included). */
    public float[] embed(int[] ids) {
        lock.lock();
        try {
            return encoder.embed(ids);
        } finally {
            lock.unlock();
        }
    }
}
