package sq.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import sq.distributed.DistributedRunner;
import sq.io.InputException;
import sq.kernels.Parallel;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The core's DistributedRunner on Spark: part p is task p of one stage (parallelize(0..parts-1, parts)); results
 * come back by collect() in partition order. Spark retries a failed task (spark.task.maxFailures, 4 on a cluster;
 * local[N,F] in local mode); a part is a pure function of its index, so a retried task gives the same result.
 */
public final class SparkRunner implements DistributedRunner {
    /** Set (to a part index) on the driver: that part fails on its first attempt, for the retry tests. */
    public static final String FAIL_FIRST_ATTEMPT = "sq.spark.failFirstAttempt";
    /** Set (milliseconds) on the driver: every task waits that long after its work, for the kill-mid-job test. */
    public static final String HOLD_RESULT_MS = "sq.spark.holdResultMs";

    @Override
    public int parallelism(String master, long heapBytesPart) {
        return session(master, heapBytesPart).sparkContext().defaultParallelism();
    }

    @Override
    public <R extends Serializable> List<R> run(String master, Job<R> job) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(session(master, job.heapBytesPart()).sparkContext());
        sc.setJobDescription(job.name());
        int failFirst = Integer.getInteger(FAIL_FIRST_ATTEMPT, -1);
        long holdMs = Long.getLong(HOLD_RESULT_MS, 0);
        int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
        System.err.printf("sq: spark: %d engine thread%s per task (spark.task.cpus)%n", taskCpus, taskCpus == 1 ? "" : "s");
        Part<R> part = job.part();
        List<Integer> parts = IntStream.range(0, job.parts()).boxed().toList();
        int driverThreads = Parallel.threads(); // local mode: the tasks run in this JVM and resize its pool
        long t0 = System.nanoTime();
        try {
            List<R> results = new ArrayList<>(sc.parallelize(parts, job.parts()).map(p -> {
                TaskThreads.apply();
                R r = part.run(p);
                // after the work, as when an executor is lost before its result reaches the driver
                if (p == failFirst && TaskContext.get().attemptNumber() == 0)
                    throw new IllegalStateException("injected failure of part " + p + " (first attempt, its result lost)");
                if (holdMs > 0) Thread.sleep(holdMs);
                return r;
            }).collect());
            System.err.printf("sq: spark: %s: %d tasks done in %.1f s%n", job.name(), job.parts(), (System.nanoTime() - t0) / 1e9);
            return results;
        } catch (Exception e) { // SparkException, checked but undeclared (Scala)
            throw failure(job.name(), e);
        } finally {
            if (sc.isLocal()) Parallel.setThreads(driverThreads);
        }
    }

    /** A job that failed for good: the executor's InputException as one line, else what Spark reported. */
    static RuntimeException failure(String job, Exception e) {
        if (e instanceof InputException ie) return ie;
        for (Throwable t = e; t != null; t = t.getCause())
            if (t instanceof InputException ie) return new InputException("on an executor: " + ie.getMessage());
        String msg = String.valueOf(e.getMessage());
        int cut = msg.indexOf('\n');
        return new InputException(job + " failed on the cluster: " + (cut < 0 ? msg : msg.substring(0, cut)));
    }

    /**
     * The session for master: the active one where there is one (tests, spark-submit), else a new one. A standalone
     * master that does not accept connections is reported at once (Spark itself would retry for a minute).
     */
    static synchronized SparkSession session(String master, long heapBytesPart) {
        SparkSession active = SparkSession.getActiveSession().getOrElse(() -> SparkSession.getDefaultSession().getOrElse(() -> null));
        if (active != null) return active;
        if (master.startsWith("spark://")) checkReachable(master);
        SparkSession.Builder b = SparkSession.builder().appName("sq").master(master)
                .config("spark.ui.enabled", "false");
        if (!master.startsWith("local")) {
            // executors: the per-task heap estimate plus Spark's own, rounded up to whole GB
            long gb = Math.max(1, (heapBytesPart + (512L << 20) + (1L << 30) - 1) >> 30);
            b.config("spark.executor.memory", gb + "g");
            System.err.println("sq: spark executor memory " + gb + "g (set spark.executor.memory to override)");
        }
        SparkSession s;
        long t0 = System.nanoTime();
        try {
            s = b.getOrCreate();
        } catch (Exception e) { // e.g. a master URL Spark cannot parse, a cluster manager that refuses the application
            String msg = String.valueOf(e.getMessage());
            throw new InputException("--spark " + master + ": no Spark session (" + e.getClass().getSimpleName() + ": "
                    + (msg.indexOf('\n') < 0 ? msg : msg.substring(0, msg.indexOf('\n'))) + ")");
        }
        // Spark logs every failed task attempt with its stack trace at WARN; what failed for good is reported by run()
        s.sparkContext().setLogLevel("ERROR");
        System.err.printf("sq: spark session at %s started in %.1f s%n", master, (System.nanoTime() - t0) / 1e9);
        return s;
    }

    static void checkReachable(String master) {
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI u = URI.create("spark://" + hostPort);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 7077 : u.getPort()), 5000);
            } catch (IOException | IllegalArgumentException e) {
                throw new InputException("--spark " + master + ": the master at " + hostPort + " cannot be reached ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
        }
    }
}
