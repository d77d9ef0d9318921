package sq.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --spark runs of ./sq's main in a process of their own (where no session of the tests is active, as on the command
 * line): one killed in the middle of its job, one pointed at a master that does not answer.
 */
class SparkProcessTest {
    /**
     * java, the JVM options Spark and sq need (those of this test JVM), the test classpath, sq's main. C1 only and the
     * serial collector: these jobs are tiny, and C2 compiling Spark's start-up code doubled the child's CPU time
     * (measured: 11.5 s -> 6.5 s of CPU for a local[2] calibrate of 4 windows).
     */
    static ProcessBuilder sq(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("-Djdk.reflect")
                    || a.startsWith("-Dio.netty") || a.startsWith("-Xss")) cmd.add(a);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "sq.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    @Test
    void aCalibrationKilledMidJobLeavesNoFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stats.safetensors"), log = Files.createTempFile("sq-kill", ".log");
        // every task holds its result for a minute: the kill comes while the job runs, its parts computed
        Process p = sq(List.of("-D" + SparkRunner.HOLD_RESULT_MS + "=60000"), "calibrate", "-m", SparkCliTest.MODEL.toString(), "--calib", SparkCliTest.TEXT.toString(),
                "--calib-window", "64", "--calib-windows", "4", "--quiet", "-o", out.toString(), "--spark", "local[2]")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String started = "engine thread";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Files.readString(log).contains(started) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(200);
            assertTrue(p.isAlive() && Files.readString(log).contains(started), Files.readString(log));
            Thread.sleep(1500); // the tasks are in their hold
            assertTrue(p.isAlive(), Files.readString(log));
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nothing, not even a temporary file, where the output was asked for");
        }
        Files.delete(log);
    }

    @Test
    void anUnreachableMasterIsOneLineAndExitCode2() throws Exception {
        Process p = sq(List.of(), "ppl", "-m", SparkCliTest.MODEL.toString(), "--text", SparkCliTest.TEXT.toString(), "--windows", "2", "--quiet",
                "--spark", "spark://127.0.0.1:1").redirectErrorStream(true).start();
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), outText);
        List<String> lines = outText.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(List.of("sq: --spark spark://127.0.0.1:1: the master at 127.0.0.1:1 cannot be reached "
                + "(ConnectException: Connection refused)"), lines, outText);
    }
}
