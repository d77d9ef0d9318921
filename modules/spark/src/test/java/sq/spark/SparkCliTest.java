package sq.spark;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.cli.Main;
import sq.distributed.Distributed;
import sq.distributed.DistributedRunner;
import sq.io.InputException;
import sq.io.Json;
import sq.io.SafetensorsFile;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ppl and calibrate with --spark local[2] against the same commands in one process, on the bundled stories260K:
 * the same doubles, the same file bytes; and the faults: a task retried, an unreachable master, an executor that
 * cannot read its input. One session for the class (local[2,2]: a task may fail once and is retried).
 */
class SparkCliTest {
    static final Path MODEL = Path.of(System.getProperty("user.dir"), "..", "..", "models", "stories260K").normalize();
    static final Path TEXT = MODEL.resolve("tinystories-val-head.txt");
    static SparkSession spark;
    static final AtomicInteger failedTasks = new AtomicInteger();

    @BeforeAll
    static void start() {
        spark = Session.get();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) failedTasks.incrementAndGet();
            }
        });
    }

    record Run(int rc, String out, String err) {
    }

    static Run sq(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.execute(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static JsonNode singleProcess;

    /** ppl without --spark, once for the class. */
    static synchronized JsonNode single() throws Exception {
        if (singleProcess == null) singleProcess = ppl();
        return singleProcess;
    }

    static JsonNode ppl(String... extra) throws Exception {
        String[] base = {"ppl", "-m", MODEL.toString(), "--text", TEXT.toString(), "--window", "64", "--windows", "5", "--json", "--quiet"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        Run r = sq(args);
        assertEquals(0, r.rc, r.err);
        return Json.MAPPER.readTree(r.out);
    }

    @Test
    void pplOnSparkIsTheSameDouble() throws Exception {
        JsonNode one = single(), dist = ppl("--spark", "local[2]");
        assertEquals(one.get("mean_nll").asDouble(), dist.get("mean_nll").asDouble(), 0.0);
        assertEquals(one.get("ppl").asDouble(), dist.get("ppl").asDouble(), 0.0);
        assertEquals(320 - 5, dist.get("tokens").asLong());
    }

    @Test
    void int8PplOnSparkIsTheSameDouble() throws Exception {
        JsonNode one = ppl("--engine", "int8"), dist = ppl("--engine", "int8", "--spark", "local[2]");
        assertEquals(one.get("mean_nll").asDouble(), dist.get("mean_nll").asDouble(), 0.0);
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheResultIsExact() throws Exception {
        JsonNode one = single();
        int before = failedTasks.get();
        System.setProperty(SparkRunner.FAIL_FIRST_ATTEMPT, "1");
        JsonNode dist;
        try {
            dist = ppl("--spark", "local[2]");
        } finally {
            System.clearProperty(SparkRunner.FAIL_FIRST_ATTEMPT);
        }
        assertTrue(failedTasks.get() > before, "the injected failure did not happen");
        assertEquals(one.get("mean_nll").asDouble(), dist.get("mean_nll").asDouble(), 0.0);
    }

    @Test
    void evalTableOnSparkIsTheSameJson() {
        String[] args = {"eval", "-m", MODEL.toString(), "--text", TEXT.toString(), "--window", "64", "--windows", "5",
                "--calib", TEXT.toString(), "--calib-window", "64", "--calib-windows", "2", "--schemes", "w8a8,O3",
                "--alpha", "0.5", "--json", "--quiet"};
        Run one = sq(args), dist = sq(cat(args, "--spark", "local[2]"));
        assertEquals(0, one.rc, one.err);
        assertEquals(0, dist.rc, dist.err);
        assertTrue(dist.err.contains("5 windows in 2 partitions"), dist.err);
        // fp32, naive and smoothquant under each scheme, zeroquant, llm.int8: every ppl the same double (JSON prints
        // the shortest decimal that reads back as that double)
        assertEquals(7, one.out.split("\"ppl\"").length - 1, one.out);
        assertEquals(one.out, dist.out);
    }

    @Test
    void calibrateOnSparkWritesTheSameBytes(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("one.safetensors"), b = dir.resolve("spark.safetensors");
        String[] args = {"calibrate", "-m", MODEL.toString(), "--calib", TEXT.toString(), "--calib-window", "64",
                "--calib-windows", "5", "--quiet", "-o"};
        assertEquals(0, sq(cat(args, a.toString())).rc);
        Run r = sq(cat(args, b.toString(), "--spark", "local[2]"));
        assertEquals(0, r.rc, r.err);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        try (SafetensorsFile f = SafetensorsFile.open(b)) {
            assertTrue(f.tensors().size() > 30);
        }
    }

    @Test
    void anExecutorThatFailsForGoodLeavesNoOutputFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stats.safetensors");
        // the executors find the text too short for 10000 windows: every attempt fails, the job is aborted
        Run r = sq("calibrate", "-m", MODEL.toString(), "--calib", TEXT.toString(), "--calib-window", "64",
                "--calib-windows", "10000", "--quiet", "-o", out.toString(), "--spark", "local[2]");
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("sq: on an executor: " + TEXT + ": "), r.err);
        assertTrue(r.err.contains("too short"), r.err);
        assertFalse(Files.exists(out));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "a temporary file was left");
        }
    }

    @Test
    void aModelPathTheExecutorCannotReadIsOneLine() {
        DistributedRunner runner = Distributed.runner();
        InputException e = assertThrows(InputException.class, () -> runner.run("local[2]",
                new DistributedRunner.Job<Integer>("read", 2, 0, p -> {
                    try (SafetensorsFile f = SafetensorsFile.open(Path.of("/nonexistent/model.safetensors"))) {
                        return f.tensors().size();
                    }
                })));
        assertTrue(e.getMessage().startsWith("on an executor: "), e.getMessage());
        assertTrue(e.getMessage().contains("/nonexistent/model.safetensors"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void anUnreachableMasterIsOneLine() {
        // checked before any session is made (the CLI's path; this class's session is already active, so directly)
        InputException e = assertThrows(InputException.class, () -> SparkRunner.checkReachable("spark://127.0.0.1:1"));
        assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    }

    static String[] cat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
