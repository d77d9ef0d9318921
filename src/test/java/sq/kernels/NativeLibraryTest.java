package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading the native kernels: every fault ends in a reason (and the pure-Java kernels), never a crash. */
class NativeLibraryTest {

    @TempDir
    Path dir;

    @Test
    void loadsTheJarsLibraryIntoAnEmptyCache() throws Exception {
        byte[] image = image();
        NativeLibrary.Result r = NativeLibrary.load(image, dir);
        assertThat(r.reason()).isNull();
        assertThat(r.lookup().find("sq_vnni_gemm")).isPresent();
        assertThat(Files.readAllBytes(r.path())).isEqualTo(image);
        assertThat(r.note()).isNull();
        // a second load finds the intact copy and keeps it
        assertThat(NativeLibrary.load(image, dir).note()).isNull();
    }

    @Test
    void replacesACorruptedCachedCopyInsteadOfLoadingIt() throws Exception {
        byte[] image = image();
        // written where load looks, but never loaded: rewriting a loaded library in place would change its mapped code
        Path file = dir.resolve("libsqvnni-" + NativeLibrary.sha256(image).substring(0, 16) + ".so");
        byte[] corrupt = image.clone();
        for (int i = 64; i < corrupt.length; i += 97) corrupt[i] ^= 0x5a; // an ELF header intact, the code not
        Files.write(file, corrupt);
        NativeLibrary.Result r = NativeLibrary.load(image, dir);
        assertThat(r.reason()).isNull();
        assertThat(r.note()).contains("replaced a corrupted cached native library").contains(file.toString());
        assertThat(Files.readAllBytes(file)).isEqualTo(image);
    }

    @Test
    void aLibraryThatDoesNotLoadIsAReason() {
        // not an ELF file (the JVM warns about its stack guard first). A truncated ELF is not tried: dlopen aborts the
        // process on one, which is why load() only ever loads a copy whose SHA-256 matches the jar's
        NativeLibrary.Result r = NativeLibrary.load("not a shared library".getBytes(), dir);
        assertThat(r.lookup()).isNull();
        assertThat(r.reason()).contains(dir.toString());
    }

    @Test
    void anUnwritableCacheIsAReason() throws Exception {
        Path notADir = Files.writeString(dir.resolve("file"), "x");
        NativeLibrary.Result r = NativeLibrary.load(image(), notADir);
        assertThat(r.lookup()).isNull();
        assertThat(r.reason()).startsWith("cannot write " + notADir);
    }

    @Test
    void modesAreParsedAndForcingNativeWhereItCannotRunIsAnError() {
        assertThat(Int8Kernels.parse(" Native ")).isEqualTo(Int8Kernels.Mode.NATIVE);
        assertThatThrownBy(() -> Int8Kernels.parse("fast")).hasMessageContaining("'fast' is not one of java, native, auto");
        Int8Kernels.State saved = Int8Kernels.state();
        try {
            Int8Kernels.select(Int8Kernels.Mode.JAVA, "--kernels");
            assertThat(Int8Kernels.describe()).isEqualTo("pure Java: chosen by --kernels");
            assertThat(KernelInfo.describe()).startsWith("int8 pure Java: chosen by --kernels, int8 GEMM 4x");
            Int8Kernels.select(Int8Kernels.Mode.AUTO, "--kernels");
            if (Int8Kernels.nativeAvailable()) {
                assertThat(Int8Kernels.describe()).isEqualTo("native " + Vnni.selected().label);
                assertThat(KernelInfo.describe()).startsWith("int8 native avx512-vnni (GEMM 6x64 tiles");
            } else {
                assertThat(Int8Kernels.describe()).isEqualTo("pure Java: " + Vnni.REASON);
                assertThatThrownBy(() -> Int8Kernels.select(Int8Kernels.Mode.NATIVE, "--kernels")).hasMessageContaining(Vnni.REASON);
            }
        } finally {
            Int8Kernels.restore(saved);
        }
    }

    private static byte[] image() throws Exception {
        NativeKernels.assume();
        try (InputStream in = NativeLibrary.class.getResourceAsStream(NativeLibrary.RESOURCE)) {
            return in.readAllBytes();
        }
    }
}
