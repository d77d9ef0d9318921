package sq.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** --spark in the core alone (the sq-spark module is not on this classpath): one line saying how to get it. */
class SparkOptionTest {
    @Test
    void withoutTheModuleSparkSaysHowToBuildIt(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path out = dir.resolve("a.safetensors");
        PrintStream e = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute("calibrate", "-m", "models/stories260K", "--calib", "models/stories260K/tinystories-val-head.txt",
                    "-o", out.toString(), "--quiet", "--spark", "local[2]");
        } finally {
            System.setErr(e);
        }
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .startsWith("sq: --spark: the Spark module is not built/installed: run 'mvn -f modules/spark/pom.xml package'")
                .doesNotContain("\n\tat ");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void theExecutorsGetTheCommandsArgumentsWithoutSpark() {
        var spec = new picocli.CommandLine(new Main());
        var parsed = spec.parseArgs("ppl", "-m", "M", "--text", "T", "--spark", "local[2]", "--window", "8");
        assertThat(List.of(SparkOption.argsWithoutSpark(parsed.subcommand().commandSpec())))
                .containsExactly("-m", "M", "--text", "T", "--window", "8");
        var joined = new picocli.CommandLine(new Main()).parseArgs("ppl", "--spark=local[2]", "-m", "M", "--text", "T");
        assertThat(List.of(SparkOption.argsWithoutSpark(joined.subcommand().commandSpec()))).containsExactly("-m", "M", "--text", "T");
    }
}
