package sq.kernels;

import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link Int8MatMulTest} on the native VNNI kernels: the same exact int32 sums. */
class Int8MatMulNativeTest extends Int8MatMulTest {

    @BeforeAll
    static void requireNative() {
        NativeKernels.assume();
    }

    @Override
    Int8Kernels.Mode mode() {
        return Int8Kernels.Mode.NATIVE;
    }
}
