package sq.tokenizer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;
import sq.io.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One turn of a conversation, as HF's apply_chat_template takes it: {"role": ..., "content": ...}. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || content == null) throw new IllegalArgumentException("role and content must not be null");
    }

    /**
     * A messages file: a JSON list of {"role": string, "content": string} objects, nothing else.
     *
     * @throws InputException naming the file and the entry that is wrong
     */
    public static List<ChatMessage> read(Path file) {
        JsonNode root = Json.read(file);
        if (root == null || !root.isArray()) {
            throw InputException.of(file, "expected a JSON list of {\"role\", \"content\"} objects, got " + kind(root));
        }
        if (root.isEmpty()) throw InputException.of(file, "the list of messages is empty");
        List<ChatMessage> messages = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode m = root.get(i);
            String where = "[" + i + "]";
            if (!m.isObject()) throw InputException.of(file, where + ": expected an object {\"role\", \"content\"}, got " + kind(m));
            for (var names = m.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("role") && !name.equals("content")) {
                    throw InputException.of(file, where + "." + name + ": not supported (a message has only \"role\" and \"content\")");
                }
            }
            messages.add(new ChatMessage(text(file, m, "role", where), text(file, m, "content", where)));
        }
        return messages;
    }

    private static String text(Path file, JsonNode m, String key, String where) {
        JsonNode v = m.get(key);
        if (v == null) throw InputException.of(file, where + "." + key + ": missing");
        if (!v.isTextual()) throw InputException.of(file, where + "." + key + ": expected a string, got " + kind(v));
        return v.asText();
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isObject()) return "an object";
        if (n.isArray()) return "a list";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
