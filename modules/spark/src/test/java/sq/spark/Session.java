package sq.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local[2,2] session for all test classes of the module (a task may fail once and is retried): started by the
 * first, stopped by Spark's shutdown hook at the JVM's end, so the start-up is paid once.
 */
final class Session {
    private Session() {
    }

    static synchronized SparkSession get() {
        SparkSession s = SparkSession.builder().master("local[2,2]").appName("sq-test").config("spark.ui.enabled", "false").getOrCreate();
        s.sparkContext().setLogLevel("ERROR"); // the injected and expected task failures: no stack traces in the log
        return s;
    }
}
