package sq.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sq.io.InputException;
import sq.model.Generator;
import sq.model.ModelConfig;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.tokenizer.TokenStreamDecoder;
import sq.tokenizer.chat.StopIds;

import java.io.Serializable;
import java.util.Set;

/**
 * Greedy generation with the decoder engine as a Dataset transformation: each prompt continued token by token
 * (sq.model.Generator, the loop of ./sq generate) with the engine built once per executor JVM (Decoder). The same
 * choices as ./sq generate -t 0: BOS first when the model's bos id differs from its eos id, stop at any eos id of
 * generation_config.json (else config.json), the new tokens decoded in the prompt's context.
 */
public final class Generation {
    private Generation() {
    }

    /** A completion: the decoded new tokens and how many there were. */
    public record Completion(String text, int tokens) implements Serializable {
    }

    /** in with "completion" (string) and "completion_tokens" (int): at most maxTokens new tokens after promptColumn. */
    public static Dataset<Row> generate(Dataset<Row> in, String promptColumn, Decoder decoder, int maxTokens) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1");
        StructType schema = in.schema().add("completion", DataTypes.StringType, false)
                .add("completion_tokens", DataTypes.IntegerType, false);
        int col = in.schema().fieldIndex(promptColumn);
        return decoder.appendTwo(in, schema, (m, tf, r) -> {
            Completion c = complete(m, tf, r.getString(col), maxTokens);
            return new Object[]{c.text(), c.tokens()};
        });
    }

    /** The in-process completion of one prompt, for comparison. */
    public static Completion complete(Decoder d, String prompt, int maxTokens) {
        Decoder.Loaded m = d.loaded();
        return complete(m, m.engine(), prompt, maxTokens);
    }

    static Completion complete(Decoder.Loaded m, Transformer tf, String prompt, int maxTokens) {
        ModelConfig cfg = tf.config();
        int[] text = m.tokenizer().encode(prompt);
        boolean bos = cfg.bosId() != null && !cfg.bosId().equals(cfg.eosId());
        int[] ids = new int[text.length + (bos ? 1 : 0)];
        if (bos) ids[0] = cfg.bosId();
        System.arraycopy(text, 0, ids, bos ? 1 : 0, text.length);
        if (ids.length == 0) throw new InputException("an empty prompt (no tokens): give some text");
        if (ids.length >= cfg.maxPositions())
            throw new InputException("a prompt of " + ids.length + " tokens does not fit " + m.dir() + "'s context of " + cfg.maxPositions());
        Set<Integer> eos = StopIds.of(m.dir(), cfg.eosId());
        TokenStreamDecoder decoder = m.tokenizer().streamDecoder();
        for (int id : ids) decoder.next(id);
        StringBuilder sb = new StringBuilder();
        int[] n = {0};
        Generator.generate(tf, ids, maxTokens, new Sampler(0, 1, 0), id -> {
            if (eos.contains(id)) return false;
            sb.append(decoder.next(id));
            n[0]++;
            return true;
        });
        sb.append(decoder.flush());
        return new Completion(sb.toString(), n[0]);
    }
}
