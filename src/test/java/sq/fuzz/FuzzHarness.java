package sq.fuzz;

import sq.io.InputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * What every fuzz target checks on every input, and the counts that docs/RELIABILITY.md reports.
 *
 * <p>Contract: a parser given any bytes either returns or throws {@link InputException} whose message is one line
 * and names the file; anything else (NullPointerException, IndexOutOfBounds, OutOfMemoryError, StackOverflowError,
 * ...) propagates to Jazzer as a finding. Each execution must also stay within {@link #allocationBound} bytes of heap
 * allocation (measured per thread) and finish within {@link #HANG_MILLIS}; a watchdog halts the JVM on a hang after
 * saving the input under target/jazzer/hang-*, because a JUnit timeout would also cut the bounded fuzzing run itself.
 */
final class FuzzHarness {
    /** A parser run on one input; returning normally means the input was accepted. */
    @FunctionalInterface
    interface Parse {
        void run() throws Exception;
    }

    static final long HANG_MILLIS = 20_000;
    /** Fixed part of the allocation bound (JSON parser buffers, small tables). */
    static final long ALLOC_BASE = 48L << 20;
    /** Allowed allocation per input byte (a JSON tree is ~10-50x its text; float[] of F16 data 2x). */
    static final long ALLOC_PER_BYTE = 512;

    private final String target;
    private final Path dir;
    private final long started = System.nanoTime();
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private long executions, accepted, rejected, maxNanos, maxAllocated, maxInput;
    private boolean warming;
    private volatile long runningSince = -1;
    private volatile byte[] current;
    private volatile Thread fuzzThread;

    private FuzzHarness(String target, Path dir) {
        this.target = target;
        this.dir = dir;
    }

    /**
     * Installs the JDK 25 class-version shim, sets Jazzer's options (instrument sq.** only; the web-injection
     * sanitizers do not apply, and RegexInjection would report the tokenizer regexes we compile on purpose), makes a
     * scratch folder, starts the hang watchdog. Runs in @BeforeAll, before Jazzer's agent reads its options.
     */
    static FuzzHarness start(String target) {
        System.setProperty("jazzer.instrument", System.getProperty("jazzer.instrument", "sq.**"));
        System.setProperty("jazzer.disabled_hooks", System.getProperty("jazzer.disabled_hooks", String.join(":",
                "com.code_intelligence.jazzer.sanitizers.RegexInjection", "com.code_intelligence.jazzer.sanitizers.RegexRoadblocks",
                "com.code_intelligence.jazzer.sanitizers.ReflectiveCall", "com.code_intelligence.jazzer.sanitizers.OsCommandInjection")));
        VersionShim.install();
        try {
            FuzzHarness h = new FuzzHarness(target, Files.createTempDirectory("sq-fuzz-" + target + "-"));
            Thread dog = new Thread(h::watch, "sq-fuzz-watchdog");
            dog.setDaemon(true);
            dog.start();
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the committed seeds of {@code testClass} once, unmeasured and uncounted, before fuzzing: the first inputs
     * load and initialize classes (Jackson, Unicode tables), whose allocations are not the parser's.
     */
    void warmUp(Class<?> testClass, java.util.function.Consumer<byte[]> target) {
        String res = "/" + testClass.getName().replace('.', '/') + "Inputs/fuzz";
        var url = testClass.getResource(res);
        if (url == null) return;
        warming = true;
        try (Stream<Path> s = Files.list(Path.of(url.toURI()))) {
            for (Path seed : s.sorted().toList()) target.accept(Files.readAllBytes(seed));
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot read the seeds of " + testClass.getSimpleName(), e);
        } finally {
            warming = false;
        }
    }

    /** A file in the scratch folder (written by {@link #run}). */
    Path file(String name) {
        return dir.resolve(name);
    }

    Path dir() {
        return dir;
    }

    static long allocationBound(int inputLength) {
        return ALLOC_BASE + ALLOC_PER_BYTE * inputLength;
    }

    /** Writes input to file, runs the parser on it, and checks the contract (see the class comment). */
    void run(byte[] input, Path file, List<String> names, Parse parse) {
        try {
            Files.write(file, input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(input, names, parse);
    }

    /**
     * Runs the parser on an input already in place; {@code names} are the file names an error message may name
     * (one of them must appear).
     */
    void run(byte[] input, List<String> names, Parse parse) {
        if (warming) {
            try {
                parse.run();
            } catch (InputException e) {
                checkMessage(e, names);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError("checked exception escaped the parser: " + e, e);
            }
            return;
        }
        executions++;
        maxInput = Math.max(maxInput, input.length);
        current = input;
        fuzzThread = Thread.currentThread();
        long alloc0 = threads.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        runningSince = t0;
        boolean ok = false;
        try {
            parse.run();
            ok = true;
        } catch (InputException e) {
            checkMessage(e, names);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("checked exception escaped the parser: " + e, e);
        } finally {
            runningSince = -1;
        }
        long nanos = System.nanoTime() - t0;
        long allocated = threads.getCurrentThreadAllocatedBytes() - alloc0;
        maxNanos = Math.max(maxNanos, nanos);
        maxAllocated = Math.max(maxAllocated, allocated);
        if (ok) accepted++;
        else rejected++;
        if (allocated > allocationBound(input.length))
            throw new AssertionError(target + ": allocated " + allocated + " bytes on a " + input.length + "-byte input (bound "
                    + allocationBound(input.length) + ")");
    }

    private void checkMessage(InputException e, List<String> names) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) throw new AssertionError("InputException without a message", e);
        if (m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0) throw new AssertionError("multi-line error message: " + m, e);
        if (names.stream().noneMatch(m::contains)) throw new AssertionError("error message names none of " + names + ": " + m, e);
    }

    /** Halts the JVM (saving the input) when one execution runs past HANG_MILLIS. */
    private void watch() {
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long since = runningSince;
            if (since < 0 || (System.nanoTime() - since) / 1_000_000 < HANG_MILLIS) continue;
            byte[] input = current;
            Path saved = Path.of(System.getProperty("sq.fuzz.out", "target"), "jazzer", "hang-" + sha1(input));
            try {
                Files.createDirectories(saved.getParent());
                Files.write(saved, input);
            } catch (IOException ignored) {
                // the stack trace below still says where it hung
            }
            System.err.println("sq fuzz: " + target + ": one input ran longer than " + HANG_MILLIS + " ms; input saved to "
                    + saved.toAbsolutePath() + "; the parser was at:");
            Thread t = fuzzThread;
            if (t != null) for (StackTraceElement el : t.getStackTrace()) System.err.println("\tat " + el);
            System.err.flush();
            Runtime.getRuntime().halt(71);
        }
    }

    static String sha1(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prints and saves the counts (target/fuzz-stats/TARGET.properties) and deletes the scratch folder. */
    void finish() {
        double seconds = (System.nanoTime() - started) / 1e9;
        String mode = fuzzing() ? "fuzzing" : "regression";
        System.out.printf(Locale.ROOT, "sq fuzz: %s (%s): %d executions in %.1f s (%d accepted, %d rejected with InputException),"
                        + " slowest %.1f ms, most allocated %.1f MB, longest input %d bytes%n",
                target, mode, executions, seconds, accepted, rejected, maxNanos / 1e6, maxAllocated / 1e6, maxInput);
        Properties p = new Properties();
        p.setProperty("target", target);
        p.setProperty("mode", mode);
        p.setProperty("executions", Long.toString(executions));
        p.setProperty("accepted", Long.toString(accepted));
        p.setProperty("rejected", Long.toString(rejected));
        p.setProperty("seconds", String.format(Locale.ROOT, "%.1f", seconds));
        p.setProperty("slowestMillis", String.format(Locale.ROOT, "%.2f", maxNanos / 1e6));
        p.setProperty("maxAllocatedBytes", Long.toString(maxAllocated));
        p.setProperty("longestInput", Long.toString(maxInput));
        try {
            Path out = Path.of(System.getProperty("sq.fuzz.out", "target"), "fuzz-stats", target + "-" + mode + ".properties");
            Files.createDirectories(out.getParent());
            try (var w = Files.newBufferedWriter(out)) {
                p.store(w, "sq fuzz statistics");
            }
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            System.err.println("sq fuzz: cannot write statistics: " + e);
        }
    }

    static boolean fuzzing() {
        String env = System.getenv("JAZZER_FUZZ");
        return env != null && !env.isEmpty() && !env.equals("0") && !env.equalsIgnoreCase("false");
    }
}
