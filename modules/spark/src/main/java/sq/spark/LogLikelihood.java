package sq.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.io.Checkpoint;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.tokenizer.Tokenizer;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Log-likelihood scoring with the decoder engine as a Dataset transformation: for each text, the sum over its tokens
 * 1..n-1 of log p(token | the ones before), as ./sq ppl scores a window (Perplexity.windowLogProbs, the same code).
 * The engine is built once per executor JVM from a Hugging Face folder every executor must be able to read.
 */
public final class LogLikelihood {
    /**
     * @param model  the Hugging Face model folder (config.json, *.safetensors, tokenizer.json)
     * @param scheme the int8 engine's scheme (naive W8A8: no smoothing; w8a8, O1..O3), or "fp32"
     */
    public record Decoder(String model, String scheme) implements Serializable {
    }

    private record Loaded(Model model, Tokenizer tokenizer, boolean bmm) {
    }

    private static final Map<Decoder, Loaded> LOADED = new ConcurrentHashMap<>();

    private LogLikelihood() {
    }

    /** in with "log_likelihood" (double) and "tokens" (int, the tokens scored) computed from textColumn. */
    public static Dataset<Row> score(Dataset<Row> in, String textColumn, Decoder decoder) {
        StructType schema = in.schema().add("log_likelihood", DataTypes.DoubleType, false).add("tokens", DataTypes.IntegerType, false);
        int col = in.schema().fieldIndex(textColumn);
        return in.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> {
            Loaded m = LOADED.computeIfAbsent(decoder, LogLikelihood::load);
            Transformer tf = new Transformer(m.model(), m.bmm()); // per task: the engine's scratch is its own
            List<Row> out = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                double[] lp = logProbs(tf, m.tokenizer(), r.getString(col));
                double sum = 0;
                for (double v : lp) sum += v;
                Object[] v = new Object[r.size() + 2];
                for (int i = 0; i < r.size(); i++) v[i] = r.get(i);
                v[r.size()] = sum;
                v[r.size() + 1] = lp.length;
                out.add(RowFactory.create(v));
            }
            return out.iterator();
        }, Encoders.row(schema));
    }

    /** log p of tokens 1..n-1 of text (one window of all its tokens, from an empty cache); empty for < 2 tokens. */
    static double[] logProbs(Transformer tf, Tokenizer tok, String text) {
        int[] ids = tok.encode(text);
        if (ids.length < 2) return new double[0];
        return Perplexity.windowLogProbs(tf, tf.newCache(ids.length), new Windows(ids, ids.length, 0, 1), 0);
    }

    /** The in-process log-probabilities of one text, for comparison. */
    public static double[] logProbs(Decoder d, String text) {
        Loaded m = LOADED.computeIfAbsent(d, LogLikelihood::load);
        return logProbs(new Transformer(m.model(), m.bmm()), m.tokenizer(), text);
    }

    static Loaded load(Decoder d) {
        Path dir = Path.of(d.model());
        Model fp32;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            fp32 = new ModelLoader(ckpt).checkTensors().load();
        }
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        if (d.scheme().equals("fp32")) return new Loaded(fp32, tok, false);
        Scheme s = Scheme.parse(d.scheme());
        return new Loaded(Int8Models.streamNaive(LayerSource.of(fp32), s, HeadPrecision.parse("int8")), tok, s.bmm());
    }
}
