package sq.io.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.bert.BertModels;
import sq.io.InputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The protobuf wire-format reader on a real exported model, on hand-built files, and on broken ones. */
class OnnxModelTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheMiniLmExport() {
        OnnxModel m = OnnxModel.read(BertModels.known(BertModels.Known.MINILM).onnx());
        assertThat(m.irVersion()).isEqualTo(6);
        assertThat(m.producer()).isEqualTo("pytorch");
        assertThat(m.opsets()).isEqualTo(Map.of("", 11L));
        assertThat(m.inputs()).containsExactly("input_ids", "attention_mask", "token_type_ids");
        assertThat(m.outputs()).containsExactly("last_hidden_state");
        assertThat(m.nodes()).hasSizeGreaterThan(500);
        assertThat(m.initializer("embeddings.word_embeddings.weight").dims()).containsExactly(30522, 384);
        assertThat(m.initializer("embeddings.position_embeddings.weight").dims()).containsExactly(512, 384);
        assertThat(m.initializer("embeddings.token_type_embeddings.weight").dims()).containsExactly(2, 384);
        // 3 embedding tables + 6 layers x 6 MatMul weights, named by the exporter (onnx::MatMul_NNN)
        List<OnnxTensor> matrices = m.initializers().values().stream()
                .filter(t -> t.rank() == 2 && t.dataType() == OnnxTensor.FLOAT).toList();
        assertThat(matrices).hasSize(39);
        assertThat(matrices.stream().filter(t -> t.name().startsWith("onnx::MatMul_")).map(t -> Arrays.toString(t.dims())).sorted().toList())
                .containsOnly("[1536, 384]", "[384, 1536]", "[384, 384]").hasSize(36);
        float[] gamma = m.initializer("embeddings.LayerNorm.weight").toFloats();
        assertThat(gamma).hasSize(384);
        assertThat(m.initializer("embeddings.position_ids").toLongs()).startsWith(0, 1, 2, 3);
    }

    @Test
    void decodesEncodingsAndAttributes() {
        OnnxProto graph = new OnnxProto()
                .message(1, OnnxProto.node("Constant", "c", new String[0], new String[]{"k"},
                        new OnnxProto().string(1, "value").message(5, OnnxProto.longTensor("", new long[]{2}, 12, 32))))
                .message(1, OnnxProto.node("Gemm", "g", new String[]{"x", "w", ""}, new String[]{"y"},
                        new OnnxProto().string(1, "alpha").fixed32(2, 0.5f),
                        new OnnxProto().string(1, "transB").varint(3, 1),
                        new OnnxProto().string(1, "perm").packed(8, 0, 2, 1),
                        new OnnxProto().string(1, "mode").bytes(4, "constant".getBytes())))
                .string(2, "g")
                .message(5, OnnxProto.floatTensor("w", new long[]{2, 3}, 1, 2, 3, 4, 5, -6.5f))
                // float_data (packed fixed32) with an unpacked dims field
                .message(5, new OnnxProto().varint(1, 3).varint(2, 1).bytes(4, le(1.5f, 2.5f, 3.5f)).string(8, "fd"))
                .message(11, OnnxProto.valueInfo("x"))
                .message(11, OnnxProto.valueInfo("w")) // an initializer listed as an input (IR < 4) is not an input
                .message(12, OnnxProto.valueInfo("y"));
        OnnxModel m = OnnxModel.parse(tmp.resolve("t.onnx"), OnnxProto.model(graph));
        assertThat(m.irVersion()).isEqualTo(7);
        assertThat(m.inputs()).containsExactly("x");
        assertThat(m.initializer("w").toFloats()).containsExactly(1, 2, 3, 4, 5, -6.5f);
        assertThat(m.initializer("k").toLongs()).containsExactly(12, 32);
        OnnxNode gemm = m.nodes().get(1);
        assertThat(gemm.inputs()).containsExactly("x", "w", "");
        assertThat(gemm.floatAttribute("alpha", 1)).isEqualTo(0.5f);
        assertThat(gemm.intAttribute("transB", 0)).isEqualTo(1);
        assertThat((long[]) gemm.attributes().get("perm")).containsExactly(0, 2, 1);
        assertThat(gemm.attributes().get("mode")).isEqualTo("constant");
        assertThat(m.producers().get("y")).isSameAs(gemm);
        assertThat(m.consumers().get("w")).containsExactly(gemm);
        assertThat(m.initializer("fd").toFloats()).containsExactly(1.5f, 2.5f, 3.5f);
    }

    @Test
    void corruptFieldsAreInputErrors() {
        // packed floats of 5 bytes
        OnnxProto bad = new OnnxProto().message(5, new OnnxProto().varint(1, 1).varint(2, 1).bytes(4, new byte[5]).string(8, "x"));
        assertThatThrownBy(() -> OnnxModel.parse(tmp.resolve("bad.onnx"), OnnxProto.model(bad))).isInstanceOf(InputException.class)
                .hasMessageContaining("bad.onnx").hasMessageContaining("not a multiple of 4");
        // a node without op_type
        OnnxProto noOp = new OnnxProto().message(1, new OnnxProto().string(1, "a").string(2, "b"));
        assertThatThrownBy(() -> OnnxModel.parse(tmp.resolve("noop.onnx"), OnnxProto.model(noOp))).isInstanceOf(InputException.class)
                .hasMessageContaining("op_type");
    }

    @Test
    void shapesAreCheckedBeforeAnythingIsAllocated() {
        OnnxProto graph = new OnnxProto()
                .message(5, new OnnxProto().packed(1, 0).varint(2, 1).string(8, "empty"))              // proto3 writes no data
                .message(5, new OnnxProto().packed(1, 3, 0).varint(2, 7).string(8, "emptyLongs"))
                .message(5, new OnnxProto().packed(1, 1L << 62, 3).varint(2, 1).string(8, "overflow"))
                .message(5, new OnnxProto().packed(1, (1L << 31) - 16).varint(2, 1).string(8, "huge"))
                .message(5, new OnnxProto().packed(1, 1L << 20, 1 << 10).varint(2, 7).bytes(7, new byte[]{1}).string(8, "hugeLongs"));
        OnnxModel m = OnnxModel.parse(tmp.resolve("shapes.onnx"), OnnxProto.model(graph));
        assertThat(m.initializer("empty").toFloats()).isEmpty();
        assertThat(m.initializer("emptyLongs").toLongs()).isEmpty();
        assertThatThrownBy(() -> m.initializer("overflow").toFloats()).isInstanceOf(InputException.class).hasMessageContaining("overflows");
        assertThatThrownBy(() -> m.initializer("huge").toFloats()).isInstanceOf(InputException.class)
                .hasMessageContaining("'huge'").hasMessageContaining("0 values, expected 2147483632");
        assertThatThrownBy(() -> m.initializer("hugeLongs").toLongs()).isInstanceOf(InputException.class).hasMessageContaining("1 values");
        assertThatThrownBy(() -> m.initializer("empty").toLongs()).isInstanceOf(InputException.class).hasMessageContaining("integer");
    }

    private static byte[] le(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    @Test
    void floatDataMustMatchTheShape() {
        OnnxProto graph = new OnnxProto().message(5, OnnxProto.floatTensor("w", new long[]{2, 2}, 1, 2, 3));
        OnnxModel m = OnnxModel.parse(tmp.resolve("short.onnx"), OnnxProto.model(graph));
        assertThatThrownBy(() -> m.initializer("w").toFloats()).isInstanceOf(InputException.class)
                .hasMessageContaining("short.onnx").hasMessageContaining("'w'").hasMessageContaining("12 bytes of data, expected 16");
    }

    @Test
    void truncatedFilesAreInputErrorsNamingTheFile() throws IOException {
        byte[] all = Files.readAllBytes(BertModels.known(BertModels.Known.MINILM).onnx());
        for (int cut : new int[]{1, 10, 30, 5_000, 1_000_000, all.length - 1}) {
            Path f = tmp.resolve("cut" + cut + ".onnx");
            Files.write(f, Arrays.copyOf(all, cut));
            assertThatThrownBy(() -> OnnxModel.read(f)).as("cut at %d", cut).isInstanceOf(InputException.class)
                    .hasMessageStartingWith(f.toString()).hasMessageContaining("ONNX");
        }
    }

    @Test
    void otherFilesAreInputErrors() throws IOException {
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        assertThatThrownBy(() -> OnnxModel.read(empty)).isInstanceOf(InputException.class).hasMessageContaining("empty");
        Path text = Files.writeString(tmp.resolve("text.onnx"), "{\"this is\": \"json, not protobuf\"}");
        assertThatThrownBy(() -> OnnxModel.read(text)).isInstanceOf(InputException.class).hasMessageStartingWith(text.toString());
        Path missing = tmp.resolve("missing.onnx");
        assertThatThrownBy(() -> OnnxModel.read(missing)).isInstanceOf(InputException.class).hasMessageContaining("not found");
        Path noGraph = Files.write(tmp.resolve("nograph.onnx"), new OnnxProto().varint(1, 7).bytes());
        assertThatThrownBy(() -> OnnxModel.read(noGraph)).isInstanceOf(InputException.class).hasMessageContaining("no graph");
    }
}
