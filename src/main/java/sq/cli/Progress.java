package sq.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * Progress of long work: a live bar on stderr when it is a terminal, otherwise a few quiet lines
 * (every 10%), so logs stay readable in CI.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final String task;
    private final long total;
    private final PrintStream err = System.err;
    private long lastDecile = -1;
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

    /** True when a live bar is drawn (stderr is a terminal): callers then skip their own log lines. */
    boolean isLive() {
        return bar != null;
    }

    void stepTo(long done) {
        if (silent) return;
        if (bar != null) {
            bar.stepTo(done);
            return;
        }
        long decile = total == 0 ? 10 : done * 10 / total;
        if (decile != lastDecile) {
            lastDecile = decile;
            err.println(task + ": " + done + "/" + total);
        }
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
