package sq.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link Int8MatMulTest} on the native kernels' AVX-VNNI (256-bit) set: the same exact int32 sums. */
class Int8MatMulAvxVnniTest extends Int8MatMulTest {

    @BeforeAll
    static void useAvxVnni() {
        NativeKernels.assume(VnniIsa.AVX_VNNI);
        VnniIsa.use(VnniIsa.AVX_VNNI);
    }

    @AfterAll
    static void useBest() {
        if (VnniIsa.best() != null) VnniIsa.use(VnniIsa.best());
    }

    @Override
    Int8Kernels.Mode mode() {
        return Int8Kernels.Mode.NATIVE;
    }
}
