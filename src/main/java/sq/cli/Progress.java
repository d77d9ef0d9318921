package sq.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import sq.inspect.ProgressSink;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long work on stderr: a live bar when the console is a terminal; otherwise one line per task that grows
 * as the work does ({@code calibrate [##########....] 80/80, 1.2 s}), written without carriage returns, so a log or
 * CI capture gets one line per step rather than one per update.
 */
final class Progress implements AutoCloseable {
    /** Marks in a full line bar. */
    static final int WIDTH = 30;

    private final ProgressBar bar;
    private final String task;
    private final long total;
    private final PrintStream err = System.err;
    private final long t0 = System.nanoTime();
    private long done;
    private int marks = -1; // -1: nothing written yet
    /** Set by --quiet: no bar, no lines. */
    static volatile boolean silent;

    Progress(String task, long total) {
        this.task = task;
        this.total = total;
        this.bar = !silent && System.console() != null && System.console().isTerminal()
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(err)).build()
                : null;
    }

    /** For the inspect package's long work: a Progress per task (nothing when --quiet). */
    static ProgressSink sink() {
        if (silent) return ProgressSink.NONE;
        return (name, total) -> {
            Progress p = new Progress(name, total);
            return new ProgressSink.Task() {
                @Override
                public void stepTo(long done) {
                    p.stepTo(done);
                }

                @Override
                public void close() {
                    p.close();
                }
            };
        };
    }

    /** True when a live bar is drawn (stderr is a terminal): callers then skip their own log lines. */
    boolean isLive() {
        return bar != null;
    }

    synchronized void stepTo(long done) {
        if (silent) return;
        this.done = done;
        if (bar != null) {
            bar.stepTo(done);
            return;
        }
        if (marks < 0) {
            err.print(task + " [");
            marks = 0;
        }
        int want = total <= 0 ? WIDTH : (int) Math.min(WIDTH, done * WIDTH / total);
        if (want > marks) {
            err.print("#".repeat(want - marks));
            marks = want;
        }
        err.flush();
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
            return;
        }
        if (marks < 0 || silent) return; // never started: no line at all
        err.printf(Locale.ROOT, "%s] %d/%d, %.1f s%n", ".".repeat(WIDTH - marks), done, total, (System.nanoTime() - t0) / 1e9);
    }
}
