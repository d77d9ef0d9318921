package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.InputException;
import sq.io.onnx.OnnxModel;
import sq.io.onnx.OnnxTensor;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Findings of OnnxFuzzTest in sq.io.onnx.OnnxTensor (fixed by the ONNX reader's author): each test is the reproducer.
 * See docs/RELIABILITY.md.
 */
class OnnxFindingsTest {
    @TempDir
    Path tmp;

    /** A model with one initializer: dims, data type, and no data at all. */
    private OnnxTensor tensor(int type, long... dims) {
        SeedCorpus.Proto t = new SeedCorpus.Proto();
        t.packed(1, dims).varint(2, type).string(8, "t");
        byte[] model = new SeedCorpus.Proto().varint(1, 7).message(7, new SeedCorpus.Proto().message(5, t)).bytes();
        return OnnxModel.parse(tmp.resolve("m.onnx"), model).initializer("t");
    }

    /** Found by Jazzer (crash-fdc63e8a...): was a NullPointerException from System.arraycopy; proto3 writes no data for it. */
    @Test
    void emptyFloatTensorWithoutData() {
        assertThat(tensor(OnnxTensor.FLOAT, 0).toFloats()).isEmpty();
    }

    /** Same cause in toLongs: was a NullPointerException. */
    @Test
    void emptyInt64TensorWithoutData() {
        assertThat(tensor(OnnxTensor.INT64, 3, 0).toLongs()).isEmpty();
    }

    /** Was: numel() multiplied without overflow checks: a negative count, NegativeArraySizeException. */
    @Test
    void dimensionProductOverflow() {
        assertThatThrownBy(() -> tensor(OnnxTensor.FLOAT, 1L << 62, 3).toFloats()).isInstanceOf(InputException.class);
    }

    /** Was: the float[] was allocated before the data was checked: 8 GB asked for by a 30-byte file (OutOfMemoryError). */
    @Test
    void hugeDimensionsWithoutData() {
        assertThatThrownBy(() -> tensor(OnnxTensor.FLOAT, (1L << 31) - 16).toFloats()).isInstanceOf(InputException.class);
    }
}
