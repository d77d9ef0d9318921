package sq.cli;

import picocli.CommandLine.Option;
import sq.kernels.KernelInfo;
import sq.kernels.Parallel;

/** Options every command has. */
final class CommonOptions {
    @Option(names = "--threads", description = "Worker threads (default: one per core).", paramLabel = "N")
    int threads;

    @Option(names = "--debug", description = "Show stack traces for errors.")
    boolean debug;

    @Option(names = "--quiet", description = "Do not log kernel selection and progress to stderr.")
    boolean quiet;

    /** Applies the thread count and logs which kernels run (stderr, so stdout stays machine-readable). */
    void apply() {
        if (threads < 0) throw new sq.io.InputException("--threads must be positive");
        Parallel.setThreads(threads);
        Progress.silent = quiet;
        if (!quiet) System.err.println("sq: " + KernelInfo.describe());
    }
}
