package sq.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sharded checkpoints that are wrong on disk: each is one line naming the file, never a crash or a silent pick. */
class ShardFaultsTest {
    @TempDir
    Path tmp;

    /** Two shards of 1 MB each (big enough that a truncation unmaps whole pages), index as given. */
    private Path sharded(String weightMap) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("m"));
        Files.copy(sq.testing.Fixtures.bundled("tiny/llama/config.json"), dir.resolve("config.json"));
        new SafetensorsWriter().add("a", new float[1 << 18], 1 << 18).write(dir.resolve("s1.safetensors"));
        new SafetensorsWriter().add("b", new float[1 << 18], 1 << 18).write(dir.resolve("s2.safetensors"));
        Files.writeString(dir.resolve(Checkpoint.INDEX), "{\"metadata\": {}, \"weight_map\": {" + weightMap + "}}");
        return dir;
    }

    @Test
    void aShardMissingFromTheFolderIsNamed() throws IOException {
        Path dir = sharded("\"a\": \"s1.safetensors\", \"b\": \"s3.safetensors\"");
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(dir.resolve(Checkpoint.INDEX).toString())
                .hasMessageContaining("names shard 's3.safetensors', which is missing");
    }

    @Test
    void anIndexNamingTwoShardsForOneTensorIsRefused() throws IOException {
        Path dir = sharded("\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\", \"a\": \"s2.safetensors\"");
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(dir.resolve(Checkpoint.INDEX).toString())
                .hasMessageContaining("names two shards for tensor 'a': 's1.safetensors' and 's2.safetensors'");
        // the same shard twice is not ambiguous
        Files.writeString(dir.resolve(Checkpoint.INDEX),
                "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\", \"a\": \"s1.safetensors\"}}");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.names()).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void aShardTruncatedAfterItWasMappedIsNamedBeforeItsPagesAreRead() throws IOException {
        Path dir = sharded("\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"");
        try (Checkpoint c = Checkpoint.open(dir)) {
            truncate(dir.resolve("s2.safetensors"), 4096);
            assertThat(c.get("a").toFloats()).hasSize(1 << 18); // the other shard is intact
            assertThatThrownBy(() -> c.get("b")).isInstanceOf(InputException.class)
                    .hasMessageStartingWith(dir.resolve("s2.safetensors").toString())
                    .hasMessageContaining("changed on disk while in use: 4096 bytes now");
        }
    }

    @Test
    void aShardTruncatedWhileATensorIsInHandFaultsAsOneLine() throws IOException {
        Path dir = sharded("\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"");
        try (Checkpoint c = Checkpoint.open(dir)) {
            TensorSlice b = c.get("b");
            truncate(dir.resolve("s2.safetensors"), 4096);
            assertThatThrownBy(b::toFloats).isInstanceOf(InputException.class)
                    .hasMessageStartingWith(dir.resolve("s2.safetensors").toString())
                    .hasMessageContaining("fault reading tensor 'b': the file was truncated or rewritten while in use");
            assertThatThrownBy(b::toBytes).isInstanceOf(InputException.class); // dtype checked first: F32 is not I8
        }
    }

    @Test
    void theCliExitsWithTwoAndOneLine() throws IOException {
        Path dir = sharded("\"a\": \"s1.safetensors\", \"a\": \"s2.safetensors\"");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            rc = Main.execute("ppl", "--model", dir.toString(), "--text",
                    sq.testing.Fixtures.bundled("text/tinystories-val.txt").toString(), "--quiet");
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(rc).as(e).isEqualTo(2);
        assertThat(e.lines().toList()).singleElement().asString().contains(Checkpoint.INDEX).contains("names two shards for tensor 'a'");
    }

    private static void truncate(Path file, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }
}
