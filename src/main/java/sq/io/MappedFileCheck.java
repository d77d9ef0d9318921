package sq.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Watches the length of a memory-mapped file whose pages are used in place for as long as a model runs (the int8
 * weights of a compressed-tensors folder). A page that another process truncated away faults when it is read:
 * SIGBUS, which the JVM turns into an InternalError for Java code but which kills the process inside a native
 * kernel. {@link #require} compares the file's length with the length it had when the weights were taken, so a
 * truncation between two uses is one line naming the file, before a kernel reads the lost pages. It narrows the
 * window, it does not close it: a truncation during one matmul still faults.
 *
 * <p>A length check is a stat call (about a microsecond); {@link #require} makes one at most every
 * {@link #INTERVAL_NANOS}, so a small model's decode step (tens of microseconds, dozens of linears) does not pay it
 * per linear.
 */
public final class MappedFileCheck {
    /** At most one stat per millisecond per file. */
    static final long INTERVAL_NANOS = 1_000_000;

    private final Path file;
    private final long length;
    private volatile long nextCheck;

    private MappedFileCheck(Path file, long length) {
        this.file = file;
        this.length = length;
        this.nextCheck = System.nanoTime() + INTERVAL_NANOS;
    }

    /** The file as it is now (call right after {@link SafetensorsFile#get}, which checked it against the mapping). */
    public static MappedFileCheck of(Path file) {
        try {
            return new MappedFileCheck(file, Files.size(file));
        } catch (IOException e) {
            throw InputException.of(file, "was removed or became unreadable while in use: " + e.getMessage());
        }
    }

    public Path file() {
        return file;
    }

    /** Throws an {@link InputException} naming the file when its length changed (checked at most once per interval). */
    public void require() {
        long now = System.nanoTime();
        if (now - nextCheck < 0) return;
        nextCheck = now + INTERVAL_NANOS;
        requireNow();
    }

    /** The check without the interval. */
    public void requireNow() {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw InputException.of(file, "was removed or became unreadable while in use: " + e.getMessage());
        }
        if (size != length)
            throw InputException.of(file, "changed on disk while in use: " + size + " bytes now, " + length
                    + " when its weights were mapped (truncated or rewritten by another process?)");
    }
}
