package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of a request body's fields: a field of the wrong type or out of range is a 400 naming it; a null
 * field is an absent one (clients send nulls for unset options); unknown fields are ignored, as OpenAI's API does
 * (its SDKs send fields that a given server may not know).
 */
final class Fields {
    private final JsonNode body;

    Fields(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object");
        this.body = body;
    }

    JsonNode get(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    String string(String name, String fallback) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isTextual()) throw ApiException.invalid(name, "'" + name + "' must be a string");
        return n.asText();
    }

    boolean bool(String name, boolean fallback) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isBoolean()) throw ApiException.invalid(name, "'" + name + "' must be a boolean");
        return n.asBoolean();
    }

    /** An integer in [min, max], or fallback when absent. */
    Integer integer(String name, Integer fallback, long min, long max) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isIntegralNumber() || !n.canConvertToLong())
            throw ApiException.invalid(name, "'" + name + "' must be an integer");
        long v = n.asLong();
        if (v < min || v > max)
            throw ApiException.invalid(name, "'" + name + "' is " + v + "; it must be " + range(min, max));
        return (int) v;
    }

    Long int64(String name) {
        JsonNode n = get(name);
        if (n == null) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.invalid(name, "'" + name + "' must be an integer");
        return n.asLong();
    }

    /** A number in [min, max] (minOpen: min excluded), or fallback when absent. */
    float number(String name, float fallback, double min, boolean minOpen, double max) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isNumber()) throw ApiException.invalid(name, "'" + name + "' must be a number");
        double v = n.asDouble();
        if (!(minOpen ? v > min : v >= min) || !(v <= max))
            throw ApiException.invalid(name, "'" + name + "' is " + v + "; it must be in " + (minOpen ? "(" : "[") + min + ", " + max + "]");
        return (float) v;
    }

    /** OpenAI's stop: a string or an array of up to 4 non-empty strings. */
    List<String> stop() {
        JsonNode n = get("stop");
        List<String> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isTextual()) out.add(n.asText());
        else if (n.isArray()) {
            for (JsonNode s : n) {
                if (!s.isTextual()) throw ApiException.invalid("stop", "'stop' must be a string or an array of strings");
                out.add(s.asText());
            }
        } else throw ApiException.invalid("stop", "'stop' must be a string or an array of strings");
        if (out.size() > 4) throw ApiException.invalid("stop", "'stop' takes at most 4 sequences");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiException.invalid("stop", "a stop sequence is empty");
        return out;
    }

    private static String range(long min, long max) {
        if (max == Integer.MAX_VALUE || max == Long.MAX_VALUE) return ">= " + min;
        return "in [" + min + ", " + max + "]";
    }
}
