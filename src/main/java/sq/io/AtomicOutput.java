package sq.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Outputs appear complete or not at all: everything is written to a temporary sibling, then renamed into place.
 */
public final class AtomicOutput {
    @FunctionalInterface
    public interface Writer {
        void write(Path target) throws IOException;
    }

    private AtomicOutput() {
    }

    public static void writeFile(Path file, boolean overwrite, Writer writer) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.exists(abs) && !overwrite) throw InputException.of(file, "exists; use --force to overwrite");
        if (Files.isDirectory(abs)) throw InputException.of(file, "is a folder, expected a file name");
        Path parent = abs.getParent();
        if (!Files.isDirectory(parent)) throw InputException.of(parent, "output folder does not exist");
        Path tmp = Files.createTempFile(parent, "." + abs.getFileName() + ".", ".tmp");
        try {
            writer.write(tmp);
            move(tmp, abs);
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
        Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
        try {
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix"))
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            writer.write(tmp);
            if (Files.exists(abs)) deleteTree(abs);
            move(tmp, abs);
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
