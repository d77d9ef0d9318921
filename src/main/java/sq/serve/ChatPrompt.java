package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import sq.tokenizer.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * The messages of /v1/chat/completions as prompt ids: rendered with the tokenizer's chat template (with the
 * assistant's header at the end), or, for a model without one, in a plain format:
 * BOS "system: ...\nuser: ...\nassistant:" (each message "role: content\n", then "assistant:").
 */
public final class ChatPrompt {
    private ChatPrompt() {
    }

    static List<ChatMessage> messages(Fields f) {
        JsonNode ms = f.get("messages");
        if (ms == null) throw ApiException.invalid("messages", "'messages' is required");
        if (!ms.isArray()) throw ApiException.invalid("messages", "'messages' must be an array");
        if (ms.isEmpty()) throw ApiException.invalid("messages", "'messages' must not be empty");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String p = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual()) throw ApiException.invalid(p, p + " must be an object with a string 'role'");
            String role = m.get("role").asText();
            if (!List.of("system", "developer", "user", "assistant", "tool").contains(role))
                throw ApiException.invalid(p + ".role", p + ".role '" + role + "' is not one of system, developer, user, assistant, tool");
            out.add(new ChatMessage(role.equals("developer") ? "system" : role, content(m.get("content"), p + ".content")));
        }
        return out;
    }

    /** A string, or an array of {"type": "text", "text": ...} parts (joined); other part types are refused. */
    private static String content(JsonNode c, String p) {
        if (c == null || c.isNull()) return "";
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiException.invalid(p, p + " must be a string or an array of text parts");
        StringBuilder b = new StringBuilder();
        for (JsonNode part : c) {
            if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual())
                throw ApiException.invalid(p, p + ": only text parts are supported (type 'text' with a string 'text')");
            b.append(part.get("text").asText());
        }
        return b.toString();
    }

    /** The prompt ids of messages for m (which needs a tokenizer). */
    public static int[] ids(ServedModel m, List<ChatMessage> messages) {
        if (m.tokenizer() == null)
            throw ApiException.invalid("messages", "model " + m.id() + " has no tokenizer (random weights of a --shape): "
                    + "use /v1/completions with a prompt of token ids");
        if (m.template() != null) return m.tokenizer().encode(m.template().render(messages, true));
        StringBuilder b = new StringBuilder();
        for (ChatMessage msg : messages) b.append(msg.role()).append(": ").append(msg.content()).append('\n');
        b.append("assistant:");
        int[] ids = m.tokenizer().encode(b.toString());
        return m.bosId() == null ? ids : prepend(m.bosId(), ids);
    }

    static int[] prepend(int first, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = first;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
