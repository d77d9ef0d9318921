package sq.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Finds the native int8 kernels the build put into the jar (src/main/c/build.sh), copies them into a cache directory
 * (a shared library has to be a file to be loaded) and loads them. The cached file is named after the SHA-256 of
 * the jar's copy and checked against it before every load, so a stale or corrupted file is replaced, not loaded.
 * Every failure is a reason in words, never an exception: the caller then runs the pure-Java kernels and says why.
 */
final class NativeLibrary {

    static final String RESOURCE = "/sq/kernels/native/linux-x86-64/libsqvnni.so";

    /** Either lookup is set, or reason says why the library cannot be used; note is a line worth logging, or null. */
    record Result(SymbolLookup lookup, Path path, String reason, String note) {
        static Result failed(String reason) {
            return new Result(null, null, reason, null);
        }
    }

    private NativeLibrary() {
    }

    /** The jar's library through the default cache directory. */
    static Result load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64")))
            return Result.failed("no native kernels for " + os + "/" + arch);
        byte[] image;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return Result.failed("this build has no native kernels (gcc was not found when it was built)");
            image = in.readAllBytes();
        } catch (IOException e) {
            return Result.failed("cannot read " + RESOURCE + " from the jar: " + e.getMessage());
        }
        return load(image, cacheDirectory());
    }

    /** $SQ_CACHE_DIR, else $XDG_CACHE_HOME/sq, else ~/.cache/sq; the library goes into its native/ folder. */
    static Path cacheDirectory() {
        String dir = System.getenv("SQ_CACHE_DIR");
        if (dir != null && !dir.isBlank()) return Path.of(dir, "native");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("sq").resolve("native");
    }

    /** Loads image (a shared library's bytes) from dir, writing it there first unless an intact copy is there. */
    static Result load(byte[] image, Path dir) {
        String hash = sha256(image);
        Path file = dir.resolve("libsqvnni-" + hash.substring(0, 16) + ".so");
        String note = null;
        try {
            if (Files.isRegularFile(file)) {
                if (!sha256(Files.readAllBytes(file)).equals(hash)) {
                    write(image, file);
                    note = "replaced a corrupted cached native library: " + file;
                }
            } else {
                write(image, file);
            }
        } catch (IOException | RuntimeException e) {
            return Result.failed("cannot write " + file + ": " + e);
        }
        try {
            return new Result(SymbolLookup.libraryLookup(file, Arena.global()), file, null, note);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return Result.failed(file + ": " + e.getMessage());
        }
    }

    /** Temp file, then an atomic move: another process never sees (and never loads) a half-written library. */
    private static void write(byte[] image, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, image);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
