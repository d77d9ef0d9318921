package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.testing.Fixtures;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static sq.fuzz.AtomicOutputKillTest.hashes;
import static sq.fuzz.AtomicOutputKillTest.runInProcess;

/** The same inputs give byte-identical outputs, for every command that writes (same --threads). */
class DeterminismTest {
    @TempDir
    Path tmp;

    private static final String MODEL = Fixtures.bundled("tiny/llama").toString();
    private static final String CALIB = Fixtures.bundled("text/tinystories-val.txt").toString();

    @Test
    void quantizeTwiceGivesTheSameBytes() throws Exception {
        for (String scheme : new String[]{"O1", "O3"}) {
            Path a = tmp.resolve("a-" + scheme), b = tmp.resolve("b-" + scheme);
            for (Path out : new Path[]{a, b})
                assertThat(runInProcess("quantize", "--model", MODEL, "--calib", CALIB, "--calib-windows", "4", "--calib-window", "64",
                        "--scheme", scheme, "--alpha", "auto", "--threads", "2", "--out", out.toString(), "--quiet")).isZero();
            assertThat(hashes(a)).isNotEmpty().isEqualTo(hashes(b));
        }
    }

    /**
     * Open finding (sq.kernels, not changed by the hardening work): FloatVector.reduceLanes(ADD) in VectorOps.dot and
     * Gemv.rows has no fixed order; the interpreter and C1 sum the lanes one way, C2's intrinsic another, so the
     * first run in a fresh JVM and a later (compiled) run differ in the last bits, and a long run changes rounding
     * when its kernels get compiled. Enable once the lanes are summed in a fixed order.
     */
    @Test
    void coldAndWarmJvmGiveTheSameBytes() throws Exception {
        Path cold = tmp.resolve("cold"), warm = tmp.resolve("warm");
        String[] args = {"quantize", "--model", MODEL, "--calib", CALIB, "--calib-windows", "2", "--calib-window", "64", "--scheme", "O1",
                "--threads", "2", "--quiet"};
        AtomicOutputKillTest.Child c = AtomicOutputKillTest.Child.start(tmp, 0, concat(args, "--out", cold.toString()));
        assertThat(c.process().waitFor()).isZero();
        for (int i = 0; i < 3; i++) // warm the kernels up: C2 compiles them
            assertThat(runInProcess(concat(args, "--out", warm.toString(), "--force"))).isZero();
        assertThat(hashes(warm)).isEqualTo(hashes(cold));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void calibrateTwiceGivesTheSameBytes() throws Exception {
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        for (Path out : new Path[]{a, b})
            assertThat(runInProcess("calibrate", "--model", MODEL, "--calib", CALIB, "--calib-windows", "4", "--calib-window", "64",
                    "--threads", "2", "--out", out.toString(), "--quiet")).isZero();
        assertThat(a).hasSameBinaryContentAs(b);
    }

    @Test
    void inspectTwiceGivesTheSameBytes() throws Exception {
        Path a = tmp.resolve("ia"), b = tmp.resolve("ib");
        for (Path out : new Path[]{a, b})
            assertThat(runInProcess("inspect", "--model", MODEL, "--calib", CALIB, "--calib-windows", "2", "--calib-window", "64",
                    "--no-sweep", "--threads", "2", "--out", out.toString(), "--quiet")).isZero();
        assertThat(hashes(a)).isNotEmpty().isEqualTo(hashes(b));
    }
}
