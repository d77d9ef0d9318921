package sq.distributed;

import java.io.Serializable;
import java.util.List;

/**
 * Runs the parts of a job on a cluster (the sq-spark module: modules/spark) and hands back each part's result in part
 * order, so the caller merges them in a fixed order. The core only knows this interface; an implementation is found
 * by java.util.ServiceLoader when its jar is on the classpath (the ./sq launcher adds modules/spark's when built).
 */
public interface DistributedRunner {
    /** One part of a job, run on an executor: it loads what it needs itself (from paths the executor can read). */
    @FunctionalInterface
    interface Part<R extends Serializable> extends Serializable {
        R run(int part) throws Exception;
    }

    /**
     * @param name          what the job is called in the cluster's UI and in messages
     * @param parts         how many parts (one task each)
     * @param heapBytesPart the heap one part needs (estimate), for sizing executors
     */
    record Job<R extends Serializable>(String name, int parts, long heapBytesPart, Part<R> part) {
    }

    /** The cluster's parallelism at master (cores over all executors), starting a session there if needed. */
    int parallelism(String master, long heapBytesPart);

    /** Runs parts 0..parts-1 at master; results in part order. Failures of user input are InputExceptions, one line. */
    <R extends Serializable> List<R> run(String master, Job<R> job);
}
