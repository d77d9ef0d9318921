package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KernelInfoTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    @Test
    void describeNamesKernelWidthAndThreads() {
        Parallel.setThreads(2);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        assertThat(KernelInfo.describe())
                .contains("fp32 GEMM 8x" + 2 * lanes)
                .contains(FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit (" + lanes + " lanes)")
                .contains(", 2 threads");
    }
}
