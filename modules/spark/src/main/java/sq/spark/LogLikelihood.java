package sq.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.model.Transformer;
import sq.tokenizer.Tokenizer;


/**
 * Log-likelihood scoring with the decoder engine as a Dataset transformation: for each text, the sum over its tokens
 * 1..n-1 of log p(token | the ones before), as ./sq ppl scores a window (Perplexity.windowLogProbs, the same code).
 * The engine is built once per executor JVM (Decoder).
 */
public final class LogLikelihood {
    private LogLikelihood() {
    }

    /** in with "log_likelihood" (double) and "tokens" (int, the tokens scored) computed from textColumn. */
    public static Dataset<Row> score(Dataset<Row> in, String textColumn, Decoder decoder) {
        StructType schema = in.schema().add("log_likelihood", DataTypes.DoubleType, false).add("tokens", DataTypes.IntegerType, false);
        int col = in.schema().fieldIndex(textColumn);
        return decoder.appendTwo(in, schema, (m, tf, r) -> {
            double[] lp = logProbs(tf, m.tokenizer(), r.getString(col));
            double sum = 0;
            for (double v : lp) sum += v;
            return new Object[]{sum, lp.length};
        });
    }

    /** log p of tokens 1..n-1 of text (one window of all its tokens, from an empty cache); empty for < 2 tokens. */
    static double[] logProbs(Transformer tf, Tokenizer tok, String text) {
        int[] ids = tok.encode(text);
        if (ids.length < 2) return new double[0];
        return Perplexity.windowLogProbs(tf, tf.newCache(ids.length), new Windows(ids, ids.length, 0, 1), 0);
    }

    /** The in-process log-probabilities of one text, for comparison. */
    public static double[] logProbs(Decoder d, String text) {
        Decoder.Loaded m = d.loaded();
        return logProbs(m.engine(), m.tokenizer(), text);
    }
}
