package sq.spark;

import sq.io.Checkpoint;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.tokenizer.Tokenizer;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A decoder model for the batch transformations (LogLikelihood, Generation): a Hugging Face folder every executor
 * must be able to read, and the engine to run it on; built once per executor JVM and shared read-only by its tasks.
 *
 * @param model  the Hugging Face model folder (config.json, *.safetensors, tokenizer.json)
 * @param scheme the int8 engine's scheme (naive W8A8, no smoothing, as ./sq --engine int8 without --calib: w8a8,
 *               O1..O3), or "fp32"
 */
public record Decoder(String model, String scheme) implements Serializable {
    record Loaded(Path dir, Model model, Tokenizer tokenizer, boolean int8Engine) {
        /** An engine over the shared model: per task, since its scratch is its own. */
        Transformer engine() {
            return new Transformer(model, int8Engine);
        }
    }

    /** Two values of one input row, appended to it as new columns. */
    interface TwoColumns extends Serializable {
        Object[] of(Loaded m, Transformer tf, Row r);
    }

    /**
     * in with two columns appended (schema: in's plus those two), computed per row by columns on this decoder, loaded
     * once per executor JVM, with an engine per task.
     */
    Dataset<Row> appendTwo(Dataset<Row> in, StructType schema, TwoColumns columns) {
        return in.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> {
            TaskThreads.apply();
            Loaded m = loaded();
            Transformer tf = m.engine();
            List<Row> out = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                Object[] two = columns.of(m, tf, r);
                Object[] v = new Object[r.size() + 2];
                for (int i = 0; i < r.size(); i++) v[i] = r.get(i);
                v[r.size()] = two[0];
                v[r.size() + 1] = two[1];
                out.add(RowFactory.create(v));
            }
            return out.iterator();
        }, Encoders.row(schema));
    }

    private static final Map<Decoder, Loaded> LOADED = new ConcurrentHashMap<>();

    Loaded loaded() {
        return LOADED.computeIfAbsent(this, Decoder::load);
    }

    private static Loaded load(Decoder d) {
        Path dir = Path.of(d.model());
        Model fp32;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            fp32 = new ModelLoader(ckpt).checkTensors().load();
        }
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        if (d.scheme().equals("fp32")) return new Loaded(dir, fp32, tok, false);
        Scheme s = Scheme.parse(d.scheme());
        return new Loaded(dir, Int8Models.streamNaive(LayerSource.of(fp32), s, HeadPrecision.parse("int8")), tok, s.bmm());
    }
}
