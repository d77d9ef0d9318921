package sq.fuzz;

import sq.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the CLI in this JVM with stdout and stderr captured. */
final class Cli {
    record Result(int rc, String out, String err) {
        /**
         * stderr lines, without the "INFO: " / "WARN: " lines of Jazzer's agent, which instruments classes loaded
         * after a fuzz test ran in this JVM (only when -Dtest selects fuzz targets together with these tests).
         */
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("INFO: ") && !l.startsWith("WARN: ")
                    && !l.startsWith("java.lang.IllegalArgumentException: Unsupported class file major version")).toList();
        }
    }

    private Cli() {
    }

    static synchronized Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
