package sq.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Outputs appear complete or not at all: everything is written to a temporary sibling, flushed to disk, then renamed
 * into place. The input is never written.
 *
 * <p>Temporary siblings are hidden (dot-prefixed) and carry the writer's process id:
 * {@code .NAME.tmp-PID-RANDOM}. A run killed with SIGKILL cannot delete its own, so every later write into the same
 * folder first deletes the {@code .NAME.tmp-PID-*} / {@code .NAME.old-PID-*} siblings whose process is no longer
 * alive (a live writer's are left alone). Replacing an existing folder (--force) moves the old one aside to
 * {@code .NAME.old-PID-*}, renames the new one in, then deletes the old one: at every instant NAME is either the
 * complete old output, absent, or the complete new output.
 */
public final class AtomicOutput {
    @FunctionalInterface
    public interface Writer {
        void write(Path target) throws IOException;
    }

    /**
     * Test hook: milliseconds to wait after the output is written and before it is renamed into place, so a test can
     * kill the process at that moment (0: no wait).
     */
    static final String PAUSE_PROPERTY = "sq.atomicOutput.pauseBeforeRenameMs";

    private AtomicOutput() {
    }

    /**
     * Refuses an output that is, contains or lies inside one of the inputs (a --force write there would delete or
     * overwrite the input). Symbolic links are resolved where the paths exist.
     */
    public static void checkNotInput(Path out, Path... inputs) {
        // the output path is replaced as named (a link there is replaced, not followed): resolve its folder only
        Path abs = out.toAbsolutePath().normalize();
        Path o = abs.getParent() == null ? abs : real(abs.getParent()).resolve(abs.getFileName());
        for (Path in : inputs) {
            if (in == null) continue;
            for (Path i : new Path[]{in.toAbsolutePath().normalize(), real(in)}) {
                if (o.equals(i)) throw InputException.of(out, "the output is the input " + in + "; choose another output");
                if (o.startsWith(i)) throw InputException.of(out, "the output must not be inside the input " + in);
                if (i.startsWith(o)) throw InputException.of(out, "the output would contain the input " + in + "; choose another output");
            }
        }
    }

    /**
     * The checks {@link #writeFile} / {@link #writeDir} make, done up front so a command refuses before its work:
     * an existing file needs overwrite; an existing non-empty folder needs overwrite; the parent must exist.
     */
    public static void checkTarget(Path out, boolean overwrite, boolean folder) throws IOException {
        Path abs = out.toAbsolutePath();
        if (Files.exists(abs)) {
            if (folder && !Files.isDirectory(abs)) throw InputException.of(out, "exists and is not a folder");
            if (!folder && Files.isDirectory(abs)) throw InputException.of(out, "is a folder, expected a file name");
            if (!overwrite) {
                if (!folder) throw InputException.of(out, "exists; use --force to overwrite");
                try (Stream<Path> s = Files.list(abs)) {
                    if (s.findAny().isPresent()) throw InputException.of(out, "exists and is not empty; use --force to replace it");
                }
            }
        }
        if (abs.getParent() == null || !Files.isDirectory(abs.getParent()))
            throw InputException.of(abs.getParent(), "output folder does not exist");
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        // the longest existing prefix, with links resolved, plus the rest
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
        } catch (IOException e) {
            return abs;
        }
    }

    public static void writeFile(Path file, boolean overwrite, Writer writer) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.exists(abs) && !overwrite) throw InputException.of(file, "exists; use --force to overwrite");
        if (Files.isDirectory(abs)) throw InputException.of(file, "is a folder, expected a file name");
        Path parent = abs.getParent();
        if (!Files.isDirectory(parent)) throw InputException.of(parent, "output folder does not exist");
        String name = abs.getFileName().toString();
        cleanStale(parent, name);
        Path tmp = Files.createTempFile(parent, prefix(name, "tmp"), "");
        try {
            writer.write(tmp);
            sync(tmp);
            pauseForTests();
            move(tmp, abs);
            sync(parent);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes a whole folder: refused if it exists and is not empty, unless overwrite. */
    public static void writeDir(Path dir, boolean overwrite, Writer writer) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) throw InputException.of(dir, "exists and is not a folder");
            try (Stream<Path> s = Files.list(abs)) {
                if (s.findAny().isPresent() && !overwrite) throw InputException.of(dir, "exists and is not empty; use --force to replace it");
            }
        }
        Path parent = abs.getParent();
        if (!Files.isDirectory(parent)) throw InputException.of(parent, "output folder's parent does not exist");
        String name = abs.getFileName().toString();
        cleanStale(parent, name);
        Path tmp = Files.createTempDirectory(parent, prefix(name, "tmp"));
        Path old = null;
        try {
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix"))
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            writer.write(tmp);
            syncTree(tmp);
            pauseForTests();
            if (Files.exists(abs)) {
                old = parent.resolve(prefix(name, "old") + Long.toUnsignedString(System.nanoTime(), 36));
                move(abs, old);
            }
            move(tmp, abs);
            sync(parent);
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
            if (old != null && Files.exists(old)) deleteTree(old);
        }
    }

    /** ".NAME.KIND-PID-" */
    private static String prefix(String name, String kind) {
        return "." + name + "." + kind + "-" + ProcessHandle.current().pid() + "-";
    }

    /** Deletes temporary siblings of NAME left by processes that are gone (killed mid-write). */
    static void cleanStale(Path parent, String name) {
        String tmp = "." + name + ".tmp-", old = "." + name + ".old-";
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(parent)) {
            s.forEach(p -> {
                String f = p.getFileName().toString();
                String rest = f.startsWith(tmp) ? f.substring(tmp.length()) : f.startsWith(old) ? f.substring(old.length()) : null;
                if (rest == null) return;
                int dash = rest.indexOf('-');
                if (dash <= 0) return;
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    return;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return;
                stale.add(p);
            });
        } catch (IOException e) {
            return; // cleaning is best effort
        }
        for (Path p : stale) {
            try {
                deleteTree(p);
            } catch (IOException ignored) {
                // best effort: it stays hidden and is tried again next time
            }
        }
    }

    private static void pauseForTests() {
        long ms = Long.getLong(PAUSE_PROPERTY, 0L);
        if (ms <= 0) return;
        System.err.println("sq: test hook: output written, pausing " + ms + " ms before the rename");
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Flushes a file (or a folder entry list) to the disk, so a rename never exposes data still in flight. */
    private static void sync(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // folders cannot be opened on every platform; the rename is still atomic
        }
    }

    private static void syncTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) sync(p);
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
