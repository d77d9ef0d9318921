package sq.bert;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import sq.model.Linear;
import sq.model.NormWeights;

/**
 * A BERT-family encoder: config plus fp32 parameters (linears in Hugging Face layout, [out, in]).
 *
 * @param wordEmbeddings     [vocab, hidden]
 * @param positionEmbeddings [maxPositions, hidden] (absolute positions 0..T-1)
 * @param typeEmbeddings     [typeVocab, hidden]; single sentences use row 0
 * @param source             what it was read from, for messages
 */
public record BertModel(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings, float[] typeEmbeddings,
                        NormWeights embeddingsNorm, List<BertLayer> layers, String source) {

    /** Hugging Face module names, e.g. encoder.layer.0.attention.self.query. */
    public static String linearName(int layer, String module) {
        return "encoder.layer." + layer + "." + module;
    }

    public static final String Q = "attention.self.query", K = "attention.self.key", V = "attention.self.value",
            O = "attention.output.dense", FC1 = "intermediate.dense", FC2 = "output.dense";

    /** A copy whose layers are copies (so their slots can be replaced) with every linear passed through f. */
    public BertModel mapLinears(UnaryOperator<Linear> f) {
        List<BertLayer> out = new ArrayList<>();
        for (BertLayer l : layers) {
            BertLayer c = l.copy();
            c.q = f.apply(l.q);
            c.k = f.apply(l.k);
            c.v = f.apply(l.v);
            c.o = f.apply(l.o);
            c.fc1 = f.apply(l.fc1);
            c.fc2 = f.apply(l.fc2);
            out.add(c);
        }
        return withLayers(out);
    }

    public BertModel withLayers(List<BertLayer> newLayers) {
        return new BertModel(config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingsNorm, List.copyOf(newLayers), source);
    }
}
