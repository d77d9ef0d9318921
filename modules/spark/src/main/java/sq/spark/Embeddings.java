package sq.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sq.bert.BertEncoder;
import sq.bert.BertModel;
import sq.bert.BertQuantizer;
import sq.bert.OnnxBert;
import sq.bert.Pooling;
import sq.quant.ActivationStats;
import sq.quant.Scheme;
import sq.tokenizer.WordPieceTokenizer;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sentence embeddings with an int8 BERT encoder (sq.bert) as a Dataset transformation: each partition runs through
 * one encoder, built once per executor JVM (the quantized model is shared read-only by its tasks) from files every
 * executor must be able to read.
 */
public final class Embeddings {
    /**
     * @param onnx        the encoder's .onnx file
     * @param tokenizer   its tokenizer.json
     * @param pooling     "mean" (all-MiniLM) or "cls" (bge)
     * @param scheme      the W8A8 scheme of the int8 engine (w8a8, O1..O3), or "fp32" for the float encoder
     * @param calibration sentences whose activations give the static / smoothing statistics (int8 only)
     */
    public record Encoder(String onnx, String tokenizer, String pooling, String scheme, List<String> calibration)
            implements Serializable {
        public Encoder {
            calibration = List.copyOf(calibration);
        }
    }

    private record Loaded(BertModel model, WordPieceTokenizer tokenizer, Pooling pooling) {
    }

    /** One per executor JVM and encoder. */
    private static final Map<Encoder, Loaded> LOADED = new ConcurrentHashMap<>();

    private Embeddings() {
    }

    /** in with an "embedding" column (array of float, the encoder's hidden size) computed from textColumn. */
    public static Dataset<Row> embed(Dataset<Row> in, String textColumn, Encoder encoder) {
        StructType schema = in.schema().add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        int col = in.schema().fieldIndex(textColumn);
        return in.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> {
            TaskThreads.apply();
            Loaded m = LOADED.computeIfAbsent(encoder, Embeddings::load);
            BertEncoder enc = new BertEncoder(m.model(), m.pooling()); // per task: its scratch is not shared
            List<Row> out = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                Object[] v = new Object[r.size() + 1];
                for (int i = 0; i < r.size(); i++) v[i] = r.get(i);
                v[r.size()] = boxed(enc.embed(m.tokenizer().encodeForModel(r.getString(col))));
                out.add(RowFactory.create(v));
            }
            return out.iterator();
        }, Encoders.row(schema));
    }

    /** The encoder as the in-process code builds it; sq's embed-eval does the same steps. */
    static Loaded load(Encoder e) {
        BertModel fp32 = OnnxBert.load(Path.of(e.onnx()));
        WordPieceTokenizer t = WordPieceTokenizer.load(Path.of(e.tokenizer()));
        t = t.withMaxLength(Math.min(t.maxLength(), fp32.config().maxPositions()));
        BertModel model = fp32;
        if (!e.scheme().equals("fp32")) {
            List<int[]> calib = e.calibration().stream().map(t::encodeForModel).toList();
            ActivationStats stats = BertQuantizer.calibrate(fp32, calib, done -> {
            });
            model = BertQuantizer.quantize(fp32, Scheme.parse(e.scheme()), stats, BertQuantizer.Engine.INT8);
        }
        return new Loaded(model, t, Pooling.parse(e.pooling()));
    }

    /** The in-process embedding of one text, for comparison. */
    public static float[] embedOne(Encoder e, String text) {
        Loaded m = LOADED.computeIfAbsent(e, Embeddings::load);
        return new BertEncoder(m.model(), m.pooling()).embed(m.tokenizer().encodeForModel(text));
    }

    private static Float[] boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i];
        return b;
    }
}
