package sq.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code quantization_config} block of a compressed-tensors checkpoint's config.json (what
 * {@link sq.export.CompressedTensorsWriter} writes and vLLM reads), parsed and checked: every problem is an
 * {@link InputException} naming the file and the key path, e.g. {@code quantization_config.config_groups.group_0.weights.num_bits}.
 * Only integer quantization is described (the int-quantized / naive-quantized / pack-quantized formats); float8 and
 * sparsity-only configs are reported as unsupported.
 *
 * @param format compressed-tensors format, e.g. "int-quantized"
 * @param groups the config groups in file order
 * @param ignore module names or "re:" patterns left unquantized
 */
public record CompressedTensorsConfig(String format, List<Group> groups, List<String> ignore) {
    /** Formats whose tensors hold integers. */
    static final Set<String> INT_FORMATS = Set.of("int-quantized", "naive-quantized", "pack-quantized");
    static final Set<String> STRATEGIES = Set.of("tensor", "channel", "group", "block", "token");
    /** Real configs list a handful of groups and ignores; the bound keeps hostile files cheap. */
    static final int MAX_ENTRIES = 10_000;

    /** @param inputActivations null when activations are not quantized (weight-only) */
    public record Group(String name, List<String> targets, QuantArgs weights, QuantArgs inputActivations) {
    }

    /** @param groupSize null unless strategy is "group" */
    public record QuantArgs(int numBits, String type, boolean symmetric, String strategy, Integer groupSize, boolean dynamic) {
    }

    /** Parses config.json's quantization_config (the node itself); file names the config in messages. */
    public static CompressedTensorsConfig parse(JsonNode q, Path file) {
        String at = "quantization_config";
        if (q == null || !q.isObject()) throw error(file, at, "expected an object, got " + q);
        String method = text(q, "quant_method", at, file);
        if (!method.equals("compressed-tensors"))
            throw error(file, at + ".quant_method", "'" + method + "' is not supported (only compressed-tensors)");
        String format = text(q, "format", at, file);
        if (!INT_FORMATS.contains(format))
            throw error(file, at + ".format", "'" + format + "' is not supported (supported: " + String.join(", ", INT_FORMATS.stream().sorted().toList()) + ")");
        JsonNode groupsNode = q.get("config_groups");
        if (groupsNode == null || !groupsNode.isObject() || groupsNode.isEmpty())
            throw error(file, at + ".config_groups", "missing or empty (expected an object of groups)");
        if (groupsNode.size() > MAX_ENTRIES) throw error(file, at + ".config_groups", groupsNode.size() + " groups, more than " + MAX_ENTRIES);
        List<Group> groups = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = groupsNode.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String g = at + ".config_groups." + e.getKey();
            JsonNode node = e.getValue();
            if (!node.isObject()) throw error(file, g, "expected an object, got " + node);
            List<String> targets = strings(node.get("targets"), g + ".targets", file, false);
            QuantArgs w = args(node.get("weights"), g + ".weights", file, false);
            QuantArgs a = args(node.get("input_activations"), g + ".input_activations", file, true);
            JsonNode out = node.get("output_activations");
            if (out != null && !out.isNull()) throw error(file, g + ".output_activations", "output quantization is not supported");
            groups.add(new Group(e.getKey(), targets, w, a));
        }
        List<String> ignore = q.has("ignore") && !q.get("ignore").isNull() ? strings(q.get("ignore"), at + ".ignore", file, true) : List.of();
        JsonNode kv = q.get("kv_cache_scheme");
        if (kv != null && !kv.isNull()) throw error(file, at + ".kv_cache_scheme", "a quantized KV cache is not supported");
        return new CompressedTensorsConfig(format, List.copyOf(groups), ignore);
    }

    private static QuantArgs args(JsonNode n, String at, Path file, boolean optional) {
        if (n == null || n.isNull()) {
            if (optional) return null;
            throw error(file, at, "missing");
        }
        if (!n.isObject()) throw error(file, at, "expected an object, got " + n);
        JsonNode bits = n.get("num_bits");
        if (bits == null || !bits.isIntegralNumber() || !bits.canConvertToInt() || bits.asInt() < 1 || bits.asInt() > 32)
            throw error(file, at + ".num_bits", "expected an integer in 1..32, got " + bits);
        String type = text(n, "type", at, file);
        if (!type.equals("int")) throw error(file, at + ".type", "'" + type + "' is not supported (only int)");
        boolean symmetric = bool(n, "symmetric", at, file, true);
        String strategy = text(n, "strategy", at, file);
        if (!STRATEGIES.contains(strategy))
            throw error(file, at + ".strategy", "'" + strategy + "' is not one of " + String.join(", ", STRATEGIES.stream().sorted().toList()));
        Integer groupSize = null;
        JsonNode gs = n.get("group_size");
        if (strategy.equals("group")) {
            if (gs == null || !gs.isIntegralNumber() || !gs.canConvertToInt() || gs.asInt() < 1)
                throw error(file, at + ".group_size", "strategy 'group' needs a positive integer group_size, got " + gs);
            groupSize = gs.asInt();
        } else if (gs != null && !gs.isNull() && !(gs.isIntegralNumber() && gs.canConvertToInt()))
            throw error(file, at + ".group_size", "expected an integer or null, got " + gs);
        boolean dynamic = bool(n, "dynamic", at, file, false);
        return new QuantArgs(bits.asInt(), type, symmetric, strategy, groupSize, dynamic);
    }

    private static List<String> strings(JsonNode n, String at, Path file, boolean mayBeEmpty) {
        if (n == null || !n.isArray()) throw error(file, at, "expected a list of strings, got " + n);
        if (n.isEmpty() && !mayBeEmpty) throw error(file, at, "is empty");
        if (n.size() > MAX_ENTRIES) throw error(file, at, n.size() + " entries, more than " + MAX_ENTRIES);
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw error(file, at + "[" + i + "]", "expected a string, got " + n.get(i));
            out.add(n.get(i).asText());
        }
        return List.copyOf(out);
    }

    private static String text(JsonNode n, String key, String at, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw error(file, at + "." + key, v == null ? "missing" : "expected a string, got " + v);
        return v.asText();
    }

    private static boolean bool(JsonNode n, String key, String at, Path file, boolean dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw error(file, at + "." + key, "expected true or false, got " + v);
        return v.booleanValue();
    }

    private static InputException error(Path file, String key, String problem) {
        return InputException.of(file, key + ": " + problem);
    }

    /** One line for messages: "int-quantized, weights int8 channel, activations int8 token (dynamic)". */
    public String describe() {
        StringBuilder b = new StringBuilder(format);
        for (Group g : groups) {
            b.append(", weights int").append(g.weights().numBits()).append(' ').append(g.weights().strategy());
            if (g.inputActivations() != null)
                b.append(", activations int").append(g.inputActivations().numBits()).append(' ').append(g.inputActivations().strategy())
                        .append(g.inputActivations().dynamic() ? " (dynamic)" : " (static)");
        }
        return b.toString();
    }
}
