package sq.bert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.InputException;
import sq.io.onnx.OnnxProto;
import sq.model.DenseLinear;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Binding ONNX initializers to BERT layers by the graph, and clear errors for graphs that are not BERT encoders. */
class OnnxBertTest {
    @TempDir
    Path tmp;

    @Test
    void bindsMiniLmAndBgeByTheGraph() {
        BertConfig mini = BertFixtures.minilm().model().config();
        assertThat(mini).isEqualTo(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f, (float) (1 / Math.sqrt(32)),
                BertConfig.Activation.GELU));
        BertConfig bge = BertFixtures.bge().model().config();
        assertThat(bge.layers()).isEqualTo(12);
        assertThat(bge.heads()).isEqualTo(12);
        assertThat(bge.hidden()).isEqualTo(384);
        assertThat(BertFixtures.bge().files().pooling()).isEqualTo(Pooling.CLS);
        assertThat(BertFixtures.minilm().files().pooling()).isEqualTo(Pooling.MEAN);
        // MatMul weights are [in, out] in the file and [out, in] here; names follow Hugging Face
        BertLayer l0 = BertFixtures.minilm().model().layers().getFirst();
        assertThat(l0.q.name()).isEqualTo("encoder.layer.0.attention.self.query");
        assertThat(l0.fc1.in()).isEqualTo(384);
        assertThat(l0.fc1.out()).isEqualTo(1536);
        assertThat(((DenseLinear) l0.fc2).bias()).hasSize(384);
    }

    @Test
    void theQuantizedExportIsNotAnFp32Encoder() {
        Path q = BertModels.known(BertModels.Known.MINILM_Q).onnx();
        assertThatThrownBy(() -> OnnxBert.load(q)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(q.toString()).hasMessageContaining("not a BERT encoder graph");
    }

    @Test
    void graphWithoutEmbeddingGather() throws IOException {
        OnnxProto g = new OnnxProto()
                .message(1, OnnxProto.node("MatMul", "mm", new String[]{"x", "w"}, new String[]{"y"}))
                .message(5, OnnxProto.floatTensor("w", new long[]{2, 2}, 1, 0, 0, 1))
                .message(11, OnnxProto.valueInfo("x")).message(12, OnnxProto.valueInfo("y"));
        Path f = write("mlp.onnx", g);
        assertThatThrownBy(() -> OnnxBert.load(f)).isInstanceOf(InputException.class)
                .hasMessage(f + ": not a BERT encoder graph: no word-embedding Gather (a Gather of a 2-D float initializer indexed by the graph input input_ids)");
    }

    @Test
    void graphWithoutLayerNorm() throws IOException {
        Path f = write("nolayernorm.onnx", embeddings().message(1, OnnxProto.node("Relu", "r", new String[]{"sum"}, new String[]{"out"})));
        assertThatThrownBy(() -> OnnxBert.load(f)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(f + ": not a BERT encoder graph: no LayerNorm after the embeddings sum 'sum'")
                .hasMessageContaining("LayerNormalization or ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add");
    }

    @Test
    void graphWithoutEncoderLayers() throws IOException {
        OnnxProto g = embeddings()
                .message(1, OnnxProto.node("LayerNormalization", "ln", new String[]{"sum", "gamma", "beta"}, new String[]{"h"},
                        new OnnxProto().string(1, "epsilon").fixed32(2, 1e-12f)))
                .message(5, OnnxProto.floatTensor("gamma", new long[]{4}, 1, 1, 1, 1))
                .message(5, OnnxProto.floatTensor("beta", new long[]{4}, 0, 0, 0, 0))
                .message(1, OnnxProto.node("MatMul", "only", new String[]{"h", "w"}, new String[]{"y"}))
                .message(5, OnnxProto.floatTensor("w", new long[]{4, 4}, new float[16]));
        Path f = write("onelinear.onnx", g);
        assertThatThrownBy(() -> OnnxBert.load(f)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(f + ": not a BERT encoder graph: layer 0: expected three MatMul linears (query, key, value) reading 'h'");
    }

    /** word[10, 4] by input_ids + position[8, 4] by constant position ids, summed into "sum". */
    private static OnnxProto embeddings() {
        return new OnnxProto()
                .message(1, OnnxProto.node("Gather", "word", new String[]{"word", "input_ids"}, new String[]{"we"}))
                .message(1, OnnxProto.node("Gather", "pos", new String[]{"pos", "position_ids"}, new String[]{"pe"}))
                .message(1, OnnxProto.node("Add", "add", new String[]{"we", "pe"}, new String[]{"sum"}))
                .message(5, OnnxProto.floatTensor("word", new long[]{10, 4}, new float[40]))
                .message(5, OnnxProto.floatTensor("pos", new long[]{8, 4}, new float[32]))
                .message(5, OnnxProto.longTensor("position_ids", new long[]{1, 8}, 0, 1, 2, 3, 4, 5, 6, 7))
                .message(11, OnnxProto.valueInfo("input_ids"));
    }

    private Path write(String name, OnnxProto graph) throws IOException {
        return Files.write(tmp.resolve(name), OnnxProto.model(graph));
    }
}
