package sq.bert;

/**
 * Shape of a BERT-family encoder, read off its ONNX graph.
 *
 * @param maxPositions   rows of the absolute position table (the longest input, [CLS] and [SEP] included)
 * @param eps            LayerNorm epsilon (the same for every LayerNorm of the graph)
 * @param attentionScale factor applied to q.k scores (1/sqrt(headDim) for BERT)
 */
public record BertConfig(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions, int typeVocab,
                         float eps, float attentionScale, Activation activation) {

    /** The FFN non-linearity. */
    public enum Activation {
        /** x * Phi(x) with the exact erf (BERT, MiniLM, bge). */
        GELU,
        /** the tanh approximation ("gelu_new"). */
        GELU_TANH,
        RELU
    }

    public int headDim() {
        return hidden / heads;
    }
}
