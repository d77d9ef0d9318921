package sq.tokenizer;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Encode speed on wikitext2 (1.29 MB), ours against HF tokenizers (Rust, through DJL's JNI binding) in one run, for
 * the six real tokenizers: the whole file in one call (what {@code ppl} does) or line by line (what a server sees).
 * The "tokens" counter is tokens per second. {@link Load} times reading the tokenizer.json.
 * <pre>tools/jmh -f 1 -wi 2 -i 3 TokenizerBench</pre>
 * Needs the tokenizers fetched by the tests (RealTokenizers) and ../shared/fixtures/text.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Xss8m"})
public class TokenizerBench {
    @Param({"llama3", "llama2", "qwen3", "gemma3", "deepseek_v3", "gptoss"})
    public String set;

    @Param({"SQ", "HF"})
    public String impl;

    private Tokenizer ours;
    private HfRust hf;
    private String text;
    private List<String> lines;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counts {
        public double tokens;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path json = RealTokenizers.folder(set).resolve("tokenizer.json");
        if (impl.equals("SQ")) ours = Tokenizer.load(json);
        else hf = HfRust.load(json);
        text = new String(Files.readAllBytes(Path.of("").toAbsolutePath().getParent()
                .resolve("shared/fixtures/text/wikitext2-test.txt")), StandardCharsets.UTF_8);
        lines = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (hf != null) hf.close();
    }

    private int[] encode(String s) {
        return ours != null ? ours.encode(s) : hf.encode(s, false);
    }

    @Benchmark
    public int wholeFile(Counts counts) {
        int n = encode(text).length;
        counts.tokens += n;
        return n;
    }

    @Benchmark
    public int lineByLine(Counts counts) {
        int n = 0;
        for (String line : lines) n += encode(line).length;
        counts.tokens += n;
        return n;
    }

    /** Time to read a tokenizer.json into a ready tokenizer (SingleShot: each iteration one fresh load). */
    @State(Scope.Benchmark)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 5)
    @Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
    public static class Load {
        @Param({"llama3", "gemma3", "gptoss"})
        public String set;

        @Param({"SQ", "HF"})
        public String impl;

        private Path json;

        @Setup(Level.Trial)
        public void setUp() {
            json = RealTokenizers.folder(set).resolve("tokenizer.json");
        }

        @Benchmark
        public Object load() {
            if (impl.equals("SQ")) return Tokenizer.load(json);
            try (HfRust t = HfRust.load(json)) {
                return t.encode("x", false);
            }
        }
    }
}
