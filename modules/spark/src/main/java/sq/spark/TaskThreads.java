package sq.spark;

import org.apache.spark.TaskContext;
import sq.kernels.Parallel;

/**
 * An executor runs several tasks at once, each given spark.task.cpus cores (local[N]: N tasks in the driver's JVM).
 * The engine's pool (sq.kernels.Parallel, one per JVM, one thread per core by default) in every task would
 * oversubscribe the cores, and its spinning workers take them from the other tasks: each task sizes the pool to its
 * own cores instead. In local mode that is the driver's pool: it stays so after the job unless the caller resets it.
 */
final class TaskThreads {
    private TaskThreads() {
    }

    /** Called first in a task. */
    static void apply() {
        Parallel.setThreads(TaskContext.get().cpus());
    }
}
