package sq.testing;

import org.junit.jupiter.api.Assumptions;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where test fixtures live: the small ones are copied into src/test/resources/fixtures (see its README.md for
 * provenance and licences); the larger trained/ models are read from ../shared/fixtures when present.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /** A bundled fixture, e.g. "tiny/llama" or "text/calib.txt". */
    public static Path bundled(String relative) {
        try {
            Path root = Path.of(Fixtures.class.getResource("/fixtures/README.md").toURI()).getParent();
            Path p = root.resolve(relative);
            if (!Files.exists(p)) throw new IllegalStateException("bundled fixture missing: " + p);
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A fixture only in the shared folder (../shared/fixtures relative to the project, or $SQ_SHARED_FIXTURES);
     * the calling test is skipped with a visible SKIPPED line where it is absent.
     */
    public static Path shared(String relative) {
        String env = System.getenv("SQ_SHARED_FIXTURES");
        Path root = env != null ? Path.of(env) : Path.of("").toAbsolutePath().getParent().resolve("shared/fixtures");
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            System.out.println("SKIPPED: shared fixture " + p + " is absent");
            Assumptions.abort("shared fixture " + p + " is absent");
        }
        return p;
    }
}
