package sq.cli;

import picocli.CommandLine.Option;
import sq.distributed.Distributed;
import sq.distributed.DistributedRunner;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * --spark MASTER for ppl, eval and calibrate: the windows are cut into contiguous ranges, one per partition; each executor
 * parses the same command line again, loads the model itself and runs its range; the command merges the ranges'
 * results in window order (see sq.distributed and modules/spark).
 */
final class SparkOption {
    @Option(names = "--spark", paramLabel = "MASTER",
            description = {"Run the windows on Apache Spark at MASTER (local[N], spark://HOST:PORT, yarn, k8s://...): each "
                    + "executor loads the model from the same path (it must be readable there) and runs its share; the "
                    + "results are merged exactly (the same numbers as without --spark). Needs the sq-spark module "
                    + "(modules/spark)."})
    String master;

    /** A range of windows [from, to) turned into its result on an executor. */
    @FunctionalInterface
    interface Range<R extends Serializable> extends Serializable {
        R run(int from, int to) throws Exception;
    }

    boolean given() {
        return master != null;
    }

    /**
     * Runs items windows in min(items, cluster parallelism) partitions and returns their results in window order.
     * heapPerWindow / heapFixed: the heap estimate of a partition, printed and used to size executors.
     */
    <R extends Serializable> List<R> run(String name, int items, long heapFixed, long heapPerWindow, Range<R> range) {
        DistributedRunner runner = Distributed.runner();
        int parts = Math.max(1, Math.min(items, runner.parallelism(master, heapFixed + heapPerWindow * items)));
        int per = (items + parts - 1) / parts;
        long heap = heapFixed + heapPerWindow * per;
        System.err.printf("sq: spark %s: %d windows in %d partitions (<= %d each), executor heap per task ~%.2f GB%n",
                master, items, parts, per, heap / 1e9);
        return runner.run(master, new DistributedRunner.Job<>(name, parts, heap, p -> {
            int[] r = Distributed.range(items, parts, p);
            return range.run(r[0], r[1]);
        }));
    }

    /** The command line of the running command, for the executors to parse again (the --spark option left out). */
    static String[] argsWithoutSpark(picocli.CommandLine.Model.CommandSpec command) {
        List<String> original = command.commandLine().getParseResult().originalArgs();
        List<String> a = new ArrayList<>();
        // the command's own arguments: those after its name (sq's options before it are not the command's)
        for (int i = original.indexOf(command.name()) + 1; i < original.size(); i++) {
            String s = original.get(i);
            if (s.equals("--spark")) i++;
            else if (!s.startsWith("--spark=")) a.add(s);
        }
        return a.toArray(String[]::new);
    }
}
