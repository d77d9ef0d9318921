package sq.quant;

import sq.io.InputException;
import sq.model.DenseLinear;
import sq.model.Embedding;
import sq.model.FloatEmbedding;
import sq.model.Linear;
import sq.model.Model;
import sq.model.ModelConfig;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * How the two ends of a model are stored: the token embeddings and lm_head. SmoothQuant's reference (and
 * llm-compressor's {@code ignore: ["lm_head"]}) keeps both in float, and so do the evaluation tables; on the int8
 * engine they would be a third of a 1B model's bytes (TinyLlama: 2 x 262 MB in fp32 against 0.97 GB of int8 decoder
 * linears), so the int8 engine quantizes them by default, as llama.cpp's Q8_0 does with output.weight:
 * <ul>
 *   <li>embeddings: int8 with one scale per row ({@link Int8Embedding}; a lookup dequantizes one row);</li>
 *   <li>lm_head: a real W8A8 {@link Int8Linear}, per-output-channel int8 weights and per-token dynamic int8
 *       activations; tied heads share the embedding's int8 rows and scales.</li>
 * </ul>
 * {@link #simulated} is the same quantization in float (fake quantization), for comparisons with the int8 engine.
 */
public enum HeadPrecision {
    /** As loaded (float32): the reference's choice. */
    FP32("fp32") {
        @Override
        public Embedding embedding(Embedding e) {
            return e;
        }

        @Override
        Linear untiedHead(Linear head) {
            return head;
        }

        @Override
        public Model real(Model m) {
            return m;
        }

        @Override
        public Model simulated(Model m) {
            return m;
        }
    },
    /** int8 rows with a float scale per row; lm_head in real W8A8 (per channel, per token). */
    INT8("int8") {
        @Override
        public Embedding embedding(Embedding e) {
            return Int8Embedding.quantize(e);
        }

        @Override
        Linear untiedHead(Linear head) {
            DenseLinear d = dense(head);
            return new Int8Linear(d.name(), Quantizer.int8(d.weight(), d.out(), d.in(), WeightGranularity.PER_CHANNEL, 0),
                    d.bias(), ActivationGranularity.PER_TOKEN, 0, false, 0);
        }

        @Override
        public Model simulated(Model m) {
            FloatEmbedding e = Int8Embedding.quantize(m.embed()).dequantized();
            Linear head;
            if (m.config().tiedEmbeddings()) {
                head = fakeHead(m.lmHead().name(), e.table(), null, e.dim(), e.vocab());
            } else {
                DenseLinear d = dense(m.lmHead());
                head = fakeHead(d.name(), Quantizer.weights(d.weight(), d.out(), d.in(), WeightGranularity.PER_CHANNEL, 0), d.bias(),
                        d.in(), d.out());
            }
            return m.withEnds(e, head);
        }
    };

    /** The name on the command line and in JSON output. */
    public final String id;

    HeadPrecision(String id) {
        this.id = id;
    }

    public static HeadPrecision parse(String id) {
        for (HeadPrecision p : values())
            if (p.id.equalsIgnoreCase(id)) return p;
        throw new InputException("unknown head precision '" + id + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(p -> p.id).toList()) + ")");
    }

    /** The token embeddings at this precision (int8: quantized one row at a time, the float table can go at once). */
    public abstract Embedding embedding(Embedding e);

    /** An untied float lm_head at this precision. */
    abstract Linear untiedHead(Linear head);

    /**
     * lm_head at this precision, given the embeddings {@link #embedding} returned: a tied head over their rows; an
     * untied one from untied (called only then, so a streaming loader reads the float head after the embeddings are
     * already quantized and never holds both in float).
     */
    public Linear lmHead(ModelConfig c, Embedding embedding, Supplier<Linear> untied) {
        return c.tiedEmbeddings() ? embedding.tiedHead(c.architecture().lmHead()) : untiedHead(untied.get());
    }

    /** The model with its embeddings and lm_head at this precision for the int8 engine; decoder layers as they are. */
    public Model real(Model m) {
        Embedding e = embedding(m.embed());
        return m.withEnds(e, lmHead(m.config(), e, m::lmHead));
    }

    /**
     * The same quantization simulated in float: embeddings are the dequantized int8 rows, lm_head a
     * {@link FakeQuantLinear} (weights per channel, activations per token). What the int8 engine is compared with.
     */
    public abstract Model simulated(Model m);

    private static Linear fakeHead(String name, float[] quantizedWeight, float[] bias, int in, int out) {
        return new FakeQuantLinear(name, quantizedWeight, bias, in, out, ActivationGranularity.PER_TOKEN, 0, false, 0);
    }

    private static DenseLinear dense(Linear head) {
        if (head instanceof DenseLinear d) return d;
        throw new IllegalStateException(head.name() + " is not a float linear; quantize the head of a float model");
    }
}
