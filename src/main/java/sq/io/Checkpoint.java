package sq.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model folder: config.json plus weights in model.safetensors or shards listed by
 * model.safetensors.index.json. Each shard is mapped once; tensors are looked up by their HF names.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";

    private final Path dir;
    private final JsonNode config;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private Checkpoint(Path dir, JsonNode config, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.byName = byName;
    }

    public static Checkpoint open(Path dir) {
        if (!Files.exists(dir)) throw InputException.of(dir, "no such model folder");
        if (!Files.isDirectory(dir)) throw InputException.of(dir, "not a folder (give the model folder that holds config.json)");
        Path cfg = dir.resolve("config.json");
        if (!Files.exists(cfg)) throw InputException.of(dir, "no config.json here; is this a Hugging Face model folder?");
        JsonNode config = Json.read(cfg);
        if (!config.isObject()) throw InputException.of(cfg, "not a JSON object");
        Path index = dir.resolve(INDEX);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            if (Files.exists(index)) {
                JsonNode map = Json.read(index).get("weight_map");
                if (map == null || !map.isObject()) throw InputException.of(index, "missing object 'weight_map'");
                requireOneShardPerTensor(index);
                Map<String, SafetensorsFile> shards = new HashMap<>();
                Path home = dir.toAbsolutePath().normalize();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String where = "weight_map entry '" + e.getKey() + "'";
                    if (!e.getValue().isTextual()) throw InputException.of(index, where + " is not a file name: " + e.getValue());
                    String shardName = e.getValue().asText();
                    // Shards must be plain files in the model folder: no paths out of it ("../x", "/etc/x"), no sub-folders.
                    Path shardPath = shardPath(home, shardName);
                    if (shardPath == null || !home.equals(shardPath.getParent()))
                        throw InputException.of(index, where + " names a bad shard file '" + shardName + "' (expected a file in the model folder)");
                    if (!Files.isRegularFile(shardPath))
                        throw InputException.of(index, where + " names shard '" + shardName + "', which is "
                                + (Files.exists(shardPath) ? "not a regular file" : "missing"));
                    SafetensorsFile shard = shards.computeIfAbsent(shardName, n -> {
                        SafetensorsFile f = SafetensorsFile.open(shardPath);
                        files.add(f);
                        return f;
                    });
                    if (!shard.has(e.getKey()))
                        throw InputException.of(shardPath, "tensor '" + e.getKey() + "' listed in " + INDEX + " is not in this shard");
                    byName.put(e.getKey(), shard);
                }
            } else {
                Path single = dir.resolve(SINGLE);
                if (!Files.exists(single))
                    throw InputException.of(dir, "no " + SINGLE + " or " + INDEX + " here (only safetensors weights are read)");
                SafetensorsFile f = SafetensorsFile.open(single);
                files.add(f);
                for (String n : f.tensors().keySet()) byName.put(n, f);
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(dir, config, Collections.unmodifiableList(files), byName);
    }

    /**
     * The parsed tree keeps the last of two entries for one name, so a weight_map that names two different shards
     * for one tensor would load whichever came last; it is refused instead (one pass over the tokens, no tree).
     */
    private static void requireOneShardPerTensor(Path index) {
        try (JsonParser p = Json.MAPPER.createParser(index.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (!field.equals("weight_map") || t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                Map<String, String> seen = new HashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String tensor = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        p.skipChildren();
                        continue;
                    }
                    String shard = p.getText(), before = seen.put(tensor, shard);
                    if (before != null && !before.equals(shard))
                        throw InputException.of(index, "weight_map names two shards for tensor '" + tensor + "': '"
                                + before + "' and '" + shard + "'");
                }
            }
        } catch (IOException e) {
            throw InputException.of(index, "cannot read: " + e.getMessage()); // Json.read parsed it just before
        }
    }

    private static Path shardPath(Path home, String shardName) {
        try {
            return shardName.isEmpty() ? null : home.resolve(shardName).normalize();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public TensorSlice get(String name) {
        SafetensorsFile f = byName.get(name);
        if (f == null) throw InputException.of(dir, "checkpoint has no tensor '" + name + "'");
        return f.get(name);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
