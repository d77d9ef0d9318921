package sq.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.cli.Main;
import sq.testing.Fixtures;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 during a write: the CLI runs as a child JVM and is killed with SIGKILL (Process.destroyForcibly) while its
 * output is written. The output folder / file must then be absent (or, when replacing, still the complete old one),
 * nothing visible may be left beside it (temporaries are hidden, dot-prefixed), the inputs must be byte-for-byte
 * unchanged, and the next run must succeed and clean the dead run's temporary up.
 */
class AtomicOutputKillTest {
    @TempDir
    Path tmp;

    private Path model, calib, work;
    private Map<String, String> inputHashes;

    private void inputs() throws IOException {
        model = Files.createDirectories(tmp.resolve("in/llama"));
        Path src = Fixtures.bundled("tiny/llama");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) Files.copy(src.resolve(f), model.resolve(f));
        calib = Files.copy(Fixtures.bundled("text/tinystories-val.txt"), tmp.resolve("in/calib.txt"));
        work = Files.createDirectories(tmp.resolve("work"));
        inputHashes = hashes(tmp.resolve("in"));
    }

    private String[] quantize(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("quantize", "--model", model.toString(), "--calib", calib.toString(),
                "--calib-windows", "2", "--calib-window", "64", "--scheme", "O1", "--out", out.toString(), "--quiet"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void quantizeKilledBeforeTheRenameLeavesNoOutputAndTheInputUntouched() throws Exception {
        inputs();
        Path out = work.resolve("out");
        Child c = Child.start(tmp, 60_000, quantize(out));
        c.awaitPause();
        List<Path> temps = hidden(work, ".out.tmp-" + c.pid() + "-");
        assertThat(temps).as("the temporary sibling while paused").hasSize(1);
        assertThat(temps.getFirst().resolve("model.safetensors")).exists();
        c.kill9();

        assertThat(out).doesNotExist();
        assertThat(visible(work)).isEmpty();
        assertThat(hashes(tmp.resolve("in"))).isEqualTo(inputHashes);

        assertThat(runInProcess(quantize(out))).isZero();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("config.json")).exists();
        assertThat(hidden(work, ".out.")).as("the dead run's temporary is cleaned by the next run").isEmpty();
        assertThat(hashes(tmp.resolve("in"))).isEqualTo(inputHashes);
    }

    @Test
    void forcedReplaceKilledKeepsTheCompleteOldOutput() throws Exception {
        inputs();
        Path out = work.resolve("out");
        assertThat(runInProcess(quantize(out))).isZero();
        Map<String, String> old = hashes(out);
        Child c = Child.start(tmp, 60_000, quantize(out, "--force", "--alpha", "0.8"));
        c.awaitPause();
        c.kill9();
        assertThat(hashes(out)).as("the old output, complete").isEqualTo(old);
        assertThat(visible(work)).containsExactly(out);
        assertThat(hashes(tmp.resolve("in"))).isEqualTo(inputHashes);
        assertThat(runInProcess(quantize(out, "--force", "--alpha", "0.8"))).isZero();
        assertThat(hashes(out)).isNotEqualTo(old);
        assertThat(hidden(work, ".out.")).isEmpty();
    }

    @Test
    void calibrateKilledBeforeTheRenameLeavesNoFile() throws Exception {
        inputs();
        Path out = work.resolve("stats.safetensors");
        String[] args = {"calibrate", "--model", model.toString(), "--calib", calib.toString(), "--calib-windows", "2",
                "--calib-window", "64", "--out", out.toString(), "--quiet"};
        Child c = Child.start(tmp, 60_000, args);
        c.awaitPause();
        assertThat(hidden(work, ".stats.safetensors.tmp-" + c.pid() + "-")).hasSize(1);
        c.kill9();
        assertThat(out).doesNotExist();
        assertThat(visible(work)).isEmpty();
        assertThat(hashes(tmp.resolve("in"))).isEqualTo(inputHashes);
        assertThat(runInProcess(args)).isZero();
        assertThat(out).exists();
        assertThat(hidden(work, ".stats.")).isEmpty();
    }

    /**
     * Without the pause: killed the moment its temporary folder appears (mid-write) and at spread times; whatever
     * the moment, the output is absent or complete (equal to a reference run), never partial.
     */
    @Test
    void killedAtAnyMomentNeverLeavesAPartialOutput() throws Exception {
        inputs();
        // the reference is made by a child JVM too: JIT-compiled kernels can round differently (docs/RELIABILITY.md)
        Path reference = work.resolve("reference");
        Child first = Child.start(tmp, 0, quantize(reference));
        assertThat(first.process().waitFor()).as(Files.readString(first.stderr())).isZero();
        Map<String, String> ref = hashes(reference);
        int midWrite = 0;
        long[] delays = {-1, -1, -1, 800, 1600, 2400, 3200};
        for (int i = 0; i < delays.length; i++) {
            Path out = work.resolve("out" + i);
            Child c = Child.start(tmp, 0, quantize(out));
            if (delays[i] < 0) {
                if (c.awaitTemp(work, ".out" + i + ".tmp-")) midWrite++;
            } else {
                Thread.sleep(delays[i]);
            }
            c.kill9();
            if (Files.exists(out)) assertThat(hashes(out)).as("out" + i + " exists, so it is complete").isEqualTo(ref);
            assertThat(hashes(tmp.resolve("in"))).isEqualTo(inputHashes);
        }
        assertThat(visible(work)).allMatch(p -> p.equals(reference) || Files.isDirectory(p) && hashesUnchecked(p).equals(ref));
        System.out.println("sq kill test: " + midWrite + " of 3 kills landed while the temporary folder was being written");
    }

    // ---------------------------------------------------------------- child process

    /**
     * The CLI in a child JVM (same class path), stderr to a file. C1 only (-XX:TieredStopAtLevel=1): faster start-up,
     * and the same float results as the interpreter, so every child computes the same bytes.
     */
    record Child(Process process, Path stderr) {
        static Child start(Path tmp, long pauseMs, String... args) throws IOException {
            Path err = Files.createTempFile(tmp, "child", ".err");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx1g",
                    "-XX:TieredStopAtLevel=1", "-Dsq.atomicOutput.pauseBeforeRenameMs=" + pauseMs,
                    "-cp", System.getProperty("java.class.path"), "sq.cli.Main"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return new Child(p, err);
        }

        long pid() {
            return process.pid();
        }

        void awaitPause() throws Exception {
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (Files.readString(stderr).contains("pausing")) return;
                if (!process.isAlive()) throw new AssertionError("child exited " + process.exitValue() + ": " + Files.readString(stderr));
                Thread.sleep(20);
            }
            process.destroyForcibly();
            throw new AssertionError("child never reached the write: " + Files.readString(stderr));
        }

        /** Polls for the temporary sibling; true if it appeared while the child was alive. */
        boolean awaitTemp(Path dir, String prefix) throws Exception {
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (System.nanoTime() < deadline && process.isAlive()) {
                if (!hidden(dir, prefix).isEmpty()) return true;
                Thread.onSpinWait();
            }
            return false;
        }

        /** SIGKILL: no shutdown hooks, no finally blocks. */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    static int runInProcess(String... args) {
        PrintStream err = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            return Main.execute(args);
        } finally {
            System.setErr(err);
        }
    }

    // ---------------------------------------------------------------- files

    static List<Path> hidden(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    static List<Path> visible(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /** SHA-256 of every file under root, by relative path. */
    static Map<String, String> hashes(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try {
                    m.put(root.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return m;
    }

    static Map<String, String> hashesUnchecked(Path root) {
        try {
            return hashes(root);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
