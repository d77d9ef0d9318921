package sq.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sq.io.onnx.OnnxModel;
import sq.io.onnx.OnnxNode;
import sq.io.onnx.OnnxTensor;

import java.nio.file.Path;
import java.util.List;

/**
 * ONNX files (sq.io.onnx: the protobuf wire reader, graph, nodes, attributes, initializers); every initializer is
 * then converted with toFloats / toLongs as its type says, as the BERT loader does.
 */
class OnnxFuzzTest {
    private static FuzzHarness h;
    private static Path file;

    @BeforeAll
    static void setUp() {
        h = FuzzHarness.start("onnx");
        file = h.file("model.onnx");
        h.warmUp(OnnxFuzzTest.class, OnnxFuzzTest::check);
    }

    @AfterAll
    static void tearDown() {
        h.finish();
    }

    @FuzzTest(maxDuration = Fuzz.DURATION)
    void fuzz(byte[] data) {
        check(data);
    }

    /** One input through the parser(s); also the warm-up of the seeds. */
    static void check(byte[] data) {
        List<String> names = List.of(file.getFileName().toString());
        OnnxModel[] parsed = {null};
        h.run(data, file, names, () -> parsed[0] = OnnxModel.read(file));
        if (parsed[0] == null) return;
        OnnxModel m = parsed[0];
        m.producers();
        m.consumers();
        for (OnnxNode n : m.nodes()) n.attributes().size();
        for (OnnxTensor t : m.initializers().values()) {
            // each conversion on its own: one tensor's bad data must not hide another's crash
            h.run(data, names, () -> {
                switch (t.dataType()) {
                    case OnnxTensor.FLOAT, OnnxTensor.FLOAT16, OnnxTensor.BFLOAT16, OnnxTensor.DOUBLE -> t.toFloats();
                    default -> t.toLongs();
                }
            });
        }
    }
}
