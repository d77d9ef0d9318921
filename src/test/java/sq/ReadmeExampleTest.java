package sq;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.testing.Fixtures;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java example in README.md compiles and runs as printed there. */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(m.find()).as("README.md has a ```java block").isTrue();
        Path src = tmp.resolve("Example.java");
        Files.writeString(src, m.group(1));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diag, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "-d", tmp.toString(), src.toString());
        assertThat(rc).as(diag.toString(StandardCharsets.UTF_8)).isZero();

        Path model = Fixtures.bundled("stories260K"), text = Fixtures.bundled("text/tinystories-val.txt");
        Path out = tmp.resolve("out");
        PrintStream old = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try (URLClassLoader cl = new URLClassLoader(new URL[]{tmp.toUri().toURL()}, getClass().getClassLoader())) {
            cl.loadClass("Example").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[]{model.toString(), text.toString(), text.toString(), out.toString()});
        } finally {
            System.setOut(old);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).matches("perplexity: fp32 4\\.08\\d\\d, SmoothQuant O1 4\\.\\d{4}\\s*");
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("config.json")).exists();
    }
}
