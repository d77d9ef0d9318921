package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BandwidthTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(0);
    }

    @Test
    void measureGivesAPlausibleRate() {
        assertThat(Bandwidth.measure(32L << 20, 2)).isPositive().isLessThan(10_000);
    }

    @Test
    void readVisitsEveryFloat() {
        Parallel.setThreads(2);
        try (Arena arena = Arena.ofShared()) {
            int n = 1 << 16; // divides evenly into 2 threads x 4 streams x vectors: nothing is skipped
            MemorySegment buf = arena.allocate((long) n * Float.BYTES, 64);
            for (int i = 0; i < n; i++) buf.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
            assertThat(Bandwidth.read(buf)).isEqualTo(n);
        }
    }
}
