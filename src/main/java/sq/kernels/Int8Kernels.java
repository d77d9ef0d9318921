package sq.kernels;

import java.util.Locale;

/**
 * Which int8 kernels run: the native AVX-512 VNNI ones ({@link Vnni}) or the pure-Java ones ({@link Int8Gemm},
 * {@link Int8Gemv}). Both give the same int32 sums bit for bit, so this changes speed only. Chosen once at start-up
 * from {@code --kernels} or the environment variable {@value #ENV} ({@code java}, {@code native} or {@code auto}, the
 * default: native where it loads), and said in one line ({@link #describe}).
 */
public final class Int8Kernels {

    public static final String ENV = "SQ_KERNELS";

    public enum Mode { JAVA, NATIVE, AUTO }

    private static volatile boolean nativeOn;
    private static volatile String why;

    static {
        // Library users get $SQ_KERNELS as far as it is valid and can run; the CLI refuses a bad value (CommonOptions).
        Mode mode = Mode.AUTO;
        String env = System.getenv(ENV);
        try {
            if (env != null && !env.isBlank()) mode = parse(env);
        } catch (IllegalArgumentException e) {
            mode = Mode.AUTO;
        }
        select(mode == Mode.NATIVE && !Vnni.AVAILABLE ? Mode.AUTO : mode, ENV);
    }

    private Int8Kernels() {
    }

    /** "java", "native" or "auto" (any case); anything else is an IllegalArgumentException naming the choices. */
    public static Mode parse(String s) {
        try {
            return Mode.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "' is not one of java, native, auto");
        }
    }

    /**
     * Selects the kernels; source names where the choice came from (for the log line). NATIVE where the library cannot
     * run is an IllegalStateException with the reason: forcing it means the user wants to know.
     */
    public static synchronized void select(Mode mode, String source) {
        switch (mode) {
            case JAVA -> {
                nativeOn = false;
                why = "chosen by " + source;
            }
            case NATIVE -> {
                if (!Vnni.AVAILABLE) throw new IllegalStateException("native int8 kernels cannot run: " + Vnni.REASON);
                nativeOn = true;
                why = null;
            }
            case AUTO -> {
                nativeOn = Vnni.AVAILABLE;
                why = Vnni.REASON;
            }
        }
    }

    /** True when the native kernels run. */
    public static boolean isNative() {
        return nativeOn;
    }

    /** Whether the native kernels can run here at all. */
    public static boolean nativeAvailable() {
        return Vnni.AVAILABLE;
    }

    /**
     * "native avx512-vnni" / "native avx-vnni" (the instruction set selected), or "pure Java: no VNNI on this CPU" /
     * "pure Java: library not loadable: ..." / "pure Java: chosen by --kernels".
     */
    public static String describe() {
        return nativeOn ? "native " + Vnni.selected().label : "pure Java: " + why;
    }

    /** The current choice, to put back with {@link #restore} (tests that run both kernels). */
    public record State(boolean nativeOn, String why) {
    }

    public static synchronized State state() {
        return new State(nativeOn, why);
    }

    public static synchronized void restore(State s) {
        nativeOn = s.nativeOn() && Vnni.AVAILABLE;
        why = s.why();
    }

    /**
     * The VNNI instruction's peak, for benchmarks: iterations x 16 independent vpdpbusd on each of the
     * {@link Parallel} threads at once. Returns the int8 operations done (2 per multiply-add, as GEMM GOP/s count).
     */
    public static long vnniPeak(long iterations) {
        if (!Vnni.AVAILABLE) throw new IllegalStateException("native int8 kernels cannot run: " + Vnni.REASON);
        int threads = Parallel.threads();
        Parallel.forRange(threads, (t0, t1) -> { // a downcall is never elided, so its result may be dropped
            for (int t = t0; t < t1; t++) Vnni.peak(iterations);
        });
        return threads * iterations * 16 * 64 * 2;
    }

    /** A line to log once (a corrupted cache file was replaced), or null. */
    public static String note() {
        return Vnni.NOTE;
    }
}
