package sq.distributed;

import sq.io.InputException;

import java.util.ServiceLoader;

/** Finds the DistributedRunner (the sq-spark module) or says how to get it. */
public final class Distributed {
    private Distributed() {
    }

    public static DistributedRunner runner() {
        return ServiceLoader.load(DistributedRunner.class).findFirst().orElseThrow(() -> new InputException(
                "--spark: the Spark module is not built/installed: run 'mvn -f modules/spark/pom.xml package' (after "
                        + "'mvn install' of the core) and start ./sq again (spark-submit: --jars modules/spark/target/sq-spark.jar, docs/SCALE.md)"));
    }

    /** [from, to) of part p when n items are cut into parts contiguous, nearly equal ranges (the first ones longer). */
    public static int[] range(int n, int parts, int p) {
        int base = n / parts, extra = n % parts;
        int from = p * base + Math.min(p, extra);
        return new int[]{from, from + base + (p < extra ? 1 : 0)};
    }
}
