package sq.cli;

import picocli.CommandLine.Option;
import sq.kernels.Int8Kernels;
import sq.kernels.KernelInfo;
import sq.kernels.Parallel;
import sq.kernels.VnniIsa;

/** Options every command has. */
final class CommonOptions {
    @Option(names = "--threads", description = "Worker threads (default: one per core).", paramLabel = "N")
    int threads;

    @Option(names = "--debug", description = "Show stack traces for errors.")
    boolean debug;

    @Option(names = "--kernels", paramLabel = "java|native|auto|avx512-vnni|avx-vnni", description = "Int8 kernels: native (the "
            + "VNNI ones, on the best instruction set this CPU has: AVX-512 VNNI, else the 256-bit AVX-VNNI of AVX2 machines), "
            + "avx512-vnni or avx-vnni (native on that set, an error where the CPU lacks it), java (pure Java), or auto "
            + "(default: native where the CPU and the library allow). The same results whichever runs. Default from $"
            + Int8Kernels.ENV + ".")
    String kernels;

    @Option(names = "--quiet", description = "Do not log kernel selection, the memory plan and progress to stderr.")
    boolean quiet;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "Memory the command may use, mapped weights plus heap, e.g. 8G or 512M: before loading, commands print their "
                    + "memory plan (weights mapped and on the heap, activations, KV cache) and stop when it needs more than this, "
                    + "than the JVM's heap (-Xmx) or than the RAM available (default: no cap beyond those two).")
    String maxMemory;

    /** Applies the thread count and logs which kernels run (stderr, so stdout stays machine-readable). */
    void apply() {
        if (threads < 0) throw new sq.io.InputException("--threads must be positive");
        Parallel.setThreads(threads);
        Progress.silent = quiet;
        MemoryGate.reset(MemoryGate.parseCap(maxMemory), quiet);
        String env = System.getenv(Int8Kernels.ENV), mode = kernels != null ? kernels : env;
        if (mode != null && !mode.isBlank()) {
            String source = kernels != null ? "--kernels" : Int8Kernels.ENV;
            try {
                select(mode, source);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new sq.io.InputException((kernels != null ? "--kernels " : Int8Kernels.ENV + "=") + mode + ": " + e.getMessage());
            }
        }
        if (!quiet && Int8Kernels.note() != null) System.err.println("sq: " + Int8Kernels.note());
        if (!quiet) System.err.println("sq: " + KernelInfo.describe());
    }

    /** avx512-vnni / avx-vnni: native on that instruction set; native / auto: on the best one; java. */
    private static void select(String mode, String source) {
        VnniIsa isa = VnniIsa.parse(mode);
        if (isa != null) {
            VnniIsa.use(isa);
            Int8Kernels.select(Int8Kernels.Mode.NATIVE, source);
            return;
        }
        Int8Kernels.Mode m;
        try {
            m = Int8Kernels.parse(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + mode + "' is not one of java, native, auto, avx512-vnni, avx-vnni");
        }
        if (m != Int8Kernels.Mode.JAVA && VnniIsa.best() != null) VnniIsa.use(VnniIsa.best());
        Int8Kernels.select(m, source);
    }
}
