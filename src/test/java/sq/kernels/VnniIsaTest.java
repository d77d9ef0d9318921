package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which instruction set the native kernels run on, and that both pack the same layout. */
class VnniIsaTest {

    private static final int AVX512 = VnniIsa.AVX512_VNNI.bit, AVX = VnniIsa.AVX_VNNI.bit;

    @Test
    void theBestSetTheCpuHasRunsUnlessOneItHasIsWanted() {
        assertThat(VnniIsa.choose(0, null)).isNull(); // no VNNI: the pure-Java kernels, and why
        assertThat(VnniIsa.choose(0, VnniIsa.AVX_VNNI)).isNull();
        assertThat(VnniIsa.choose(AVX, null)).isEqualTo(VnniIsa.AVX_VNNI); // an AVX2 machine with AVX-VNNI only
        assertThat(VnniIsa.choose(AVX, VnniIsa.AVX512_VNNI)).isEqualTo(VnniIsa.AVX_VNNI);
        assertThat(VnniIsa.choose(AVX512, null)).isEqualTo(VnniIsa.AVX512_VNNI); // AVX-512 VNNI without AVX-VNNI (Zen 4, Ice Lake)
        assertThat(VnniIsa.choose(AVX512 | AVX, null)).isEqualTo(VnniIsa.AVX512_VNNI);
        assertThat(VnniIsa.choose(AVX512 | AVX, VnniIsa.AVX_VNNI)).isEqualTo(VnniIsa.AVX_VNNI);
        assertThat(VnniIsa.NO_VNNI).startsWith("no VNNI on this CPU");
    }

    @Test
    void labelsAreTheKernelsValues() {
        assertThat(VnniIsa.parse(" AVX-VNNI ")).isEqualTo(VnniIsa.AVX_VNNI);
        assertThat(VnniIsa.parse("avx512-vnni")).isEqualTo(VnniIsa.AVX512_VNNI);
        assertThat(VnniIsa.parse("native")).isNull();
    }

    /** The library's CPUID bits against the kernel's own reading of them, /proc/cpuinfo's flags. */
    @Test
    void theLibrarysCpuBitsAgreeWithProcCpuinfo() throws Exception {
        NativeKernels.assume();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        Set<String> flags = new HashSet<>();
        for (String line : Files.readAllLines(cpuinfo)) {
            if (line.startsWith("flags")) {
                flags.addAll(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
                break;
            }
        }
        Set<VnniIsa> expected = EnumSet.noneOf(VnniIsa.class);
        if (flags.containsAll(List.of("avx512f", "avx512bw", "avx512vl", "avx512_vnni"))) expected.add(VnniIsa.AVX512_VNNI);
        if (flags.containsAll(List.of("avx2", "avx_vnni"))) expected.add(VnniIsa.AVX_VNNI);
        assertThat(VnniIsa.supported()).isEqualTo(expected);
    }

    @Test
    void forcingASetNamesItInTheLogLineAndASetTheCpuLacksIsAnError() {
        NativeKernels.assume();
        Int8Kernels.State saved = Int8Kernels.state();
        try {
            Int8Kernels.select(Int8Kernels.Mode.NATIVE, "the test");
            for (VnniIsa isa : VnniIsa.values()) {
                if (VnniIsa.supported().contains(isa)) {
                    VnniIsa.use(isa);
                    assertThat(VnniIsa.current()).isEqualTo(isa);
                    assertThat(KernelInfo.int8()).isEqualTo("native " + isa.label);
                    assertThat(KernelInfo.describe()).startsWith("int8 native " + isa.label + " (GEMM 6x");
                } else {
                    assertThatThrownBy(() -> VnniIsa.use(isa)).hasMessageContaining("this CPU has no " + isa.label);
                }
            }
        } finally {
            VnniIsa.use(VnniIsa.best());
            Int8Kernels.restore(saved);
        }
        assertThat(VnniIsa.current()).isEqualTo(VnniIsa.best());
    }

    /** Weights packed once (Int8PackedWeights) must not depend on the set that packed them. */
    @Test
    void bothSetsPackTheSameBytesAndColumnSums() {
        NativeKernels.assume(VnniIsa.AVX_VNNI);
        NativeKernels.assume(VnniIsa.AVX512_VNNI);
        Random rnd = new Random(5);
        try {
            for (int[] shape : new int[][]{{1, 1}, {300, 77}, {1000, 130}, {257, 64}, {64, 3}}) {
                int k = shape[0], out = shape[1], strips = (out + Vnni.NR - 1) / Vnni.NR, blocks = (k + Vnni.KC - 1) / Vnni.KC;
                byte[] w = new byte[k * out + 3];
                rnd.nextBytes(w);
                byte[][] wp = new byte[2][strips * blocks * Vnni.NR * Vnni.KC];
                int[][] colSums = new int[2][strips * Vnni.NR];
                for (int i = 0; i < 2; i++) {
                    VnniIsa.use(VnniIsa.values()[i]);
                    Vnni.pack(w, 3, k, k, out, 0, strips, wp[i], colSums[i]);
                }
                assertThat(wp[1]).as("k=%d out=%d", k, out).isEqualTo(wp[0]);
                assertThat(colSums[1]).as("k=%d out=%d", k, out).isEqualTo(colSums[0]);
            }
        } finally {
            VnniIsa.use(VnniIsa.best());
        }
    }
}
