package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** The registry: config.json "architectures" -> our {@link Architecture}. */
public final class Architectures {
    public static final List<Architecture> ALL = List.of(new Llama(), new Qwen2(), new Qwen3(), new Opt());

    private Architectures() {
    }

    public static String supported() {
        return ALL.stream().flatMap(a -> a.hfClasses().stream()).collect(Collectors.joining(", "));
    }

    /** Reads config.json into a typed config, or says which architectures we support. */
    public static ModelConfig parse(JsonNode config, Path file) {
        JsonNode archs = config.get("architectures");
        String name = archs != null && archs.isArray() && !archs.isEmpty() ? archs.get(0).asText() : null;
        if (name == null) throw InputException.of(file, "no 'architectures' entry; supported: " + supported());
        for (Architecture a : ALL)
            if (a.hfClasses().contains(name)) return a.parse(config, file);
        throw InputException.of(file, "unsupported architecture '" + name + "'; supported: " + supported());
    }
}
