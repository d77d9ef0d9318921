package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The registry: config.json "architectures" -> our {@link Architecture}. */
public final class Architectures {
    /** One factory per family: each config gets a fresh instance (some keep config-dependent names). */
    private static final List<Supplier<Architecture>> FAMILIES = List.of(Llama::new, Qwen2::new, Qwen3::new, Granite::new,
            SmolLM3::new, Olmo2::new, Gemma::new, Phi3::new, Phi::new, Falcon::new, Bloom::new, Gpt2::new, GptNeoX::new, Opt::new,
            Mixtral::new, Qwen2Moe::new, Qwen3Moe::new, GptOss::new);

    /** An instance of each family (for listing what is supported). */
    public static final List<Architecture> ALL = FAMILIES.stream().map(Supplier::get).toList();

    private Architectures() {
    }

    public static String supported() {
        return ALL.stream().flatMap(a -> a.hfClasses().stream()).collect(Collectors.joining(", "));
    }

    /** Reads config.json into a typed config, or says which architectures we support. */
    public static ModelConfig parse(JsonNode config, Path file) {
        JsonNode archs = config.get("architectures");
        String name = archs != null && archs.isArray() && !archs.isEmpty() && archs.get(0).isTextual() ? archs.get(0).asText() : null;
        if (name == null) throw InputException.of(file, "no 'architectures' entry; supported: " + supported());
        for (Supplier<Architecture> f : FAMILIES) {
            Architecture a = f.get();
            if (a.hfClasses().contains(name)) return checkSizes(a.parse(new ConfigReader(config, file)), file);
        }
        throw InputException.of(file, "unsupported architecture '" + name + "'; supported: " + supported());
    }

    static final int MAX_LAYERS = 1 << 12;

    /** Largest Java array: each weight matrix is one float[]. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * Bounds that keep a hostile or mistyped config.json from sizing absurd allocations or overflowing int products
     * later: generous upper limits per field (several times the largest released models), and every weight matrix
     * must fit one Java array.
     */
    static ModelConfig checkSizes(ModelConfig c, Path file) {
        limit(file, "num_hidden_layers", c.layers(), MAX_LAYERS);
        limit(file, "hidden_size", c.hidden(), 1 << 18);
        limit(file, "num_attention_heads", c.heads(), 1 << 12);
        limit(file, "head_dim", c.headDim(), 1 << 14);
        limit(file, "intermediate_size", c.intermediate(), 1 << 20);
        limit(file, "vocab_size", c.vocab(), 1 << 23);
        limit(file, "max_position_embeddings", c.maxPositions(), 1 << 26);
        if (c.kvHeads() > c.heads())
            throw InputException.of(file, "num_key_value_heads " + c.kvHeads() + " is more than num_attention_heads " + c.heads());
        fits(file, "vocab_size x hidden_size", (long) c.vocab() * c.hidden());
        fits(file, "num_attention_heads x head_dim x hidden_size", (long) c.qDim() * c.hidden());
        fits(file, "intermediate_size x hidden_size", (long) c.intermediate() * c.hidden());
        if (c.architecture().embedPositions() != null)
            fits(file, "max_position_embeddings x hidden_size", ((long) c.maxPositions() + c.block().positionOffset()) * c.hidden());
        if (!(c.normEps() >= 0) || !Float.isFinite(c.normEps()))
            throw InputException.of(file, "norm epsilon " + c.normEps() + " must be a finite number >= 0");
        if (c.block().rope() != null && !(c.ropeTheta() > 0 && Double.isFinite(c.ropeTheta())))
            throw InputException.of(file, "'rope_theta' " + c.ropeTheta() + " must be a finite number > 0");
        return c;
    }

    private static void limit(Path file, String key, int value, int max) {
        if (value > max) throw InputException.of(file, "'" + key + "' " + value + " is larger than " + max + "; not a real model config?");
    }

    private static void fits(Path file, String what, long elements) {
        if (elements > MAX_ARRAY)
            throw InputException.of(file, what + " = " + elements + " elements: one weight matrix would not fit a Java array (at most "
                    + MAX_ARRAY + ")");
    }
}
