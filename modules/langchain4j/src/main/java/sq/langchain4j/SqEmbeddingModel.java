package sq.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import sq.serve.ServedEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * langchain4j's {@link EmbeddingModel} on a BERT encoder in int8 (W8A8), in this process: the same vectors as
 * ./sq serve's /v1/embeddings. {@code SqEmbeddingModel.load("minilm")} takes langchain4j's own all-MiniLM-L6-v2 jar
 * (class path or ~/.m2), "bge-small" bge-small-en-v1.5, or a path to an .onnx file / folder with tokenizer.json.
 */
public final class SqEmbeddingModel implements EmbeddingModel {
    private final ServedEncoder encoder;

    public SqEmbeddingModel(ServedEncoder encoder) {
        this.encoder = encoder;
    }

    public static SqEmbeddingModel load(String nameOrPath) {
        return new SqEmbeddingModel(ServedEncoder.load(nameOrPath));
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<Embedding> out = new ArrayList<>(segments.size());
        int tokens = 0;
        for (TextSegment s : segments) {
            int[] ids = encoder.encode(s.text());
            tokens += ids.length;
            out.add(Embedding.from(encoder.embed(ids)));
        }
        return Response.from(out, new TokenUsage(tokens, 0));
    }

    @Override
    public int dimension() {
        return encoder.dimensions();
    }

    @Override
    public String modelName() {
        return encoder.id();
    }
}
