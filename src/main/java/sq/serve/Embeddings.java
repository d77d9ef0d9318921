package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Json;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * POST /v1/embeddings in OpenAI's shape: {@code input} a string, a list of strings, a list of token ids or a list of
 * such lists (ids are the encoder's input as given, [CLS] ... [SEP] included; text gets them from the tokenizer);
 * {@code encoding_format} float (default) or base64 (little-endian float32, as OpenAI's SDKs decode it);
 * {@code dimensions} only as the model's own. Usage counts the ids fed, special tokens included.
 */
final class Embeddings {
    /** Inputs per request at most (OpenAI's limit). */
    static final int MAX_INPUTS = 2048;

    private Embeddings() {
    }

    static ObjectNode run(ServedEncoder enc, JsonNode body) {
        Fields f = new Fields(body);
        String model = f.string("model", null);
        if (model == null) throw ApiException.invalid("model", "'model' is required");
        if (!model.equals(enc.id()))
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + model + "' does not exist; this server embeds with '" + enc.id() + "'");
        String format = f.string("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64"))
            throw ApiException.invalid("encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
        Integer dims = f.integer("dimensions", null, 1, Integer.MAX_VALUE);
        if (dims != null && dims != enc.dimensions())
            throw ApiException.invalid("dimensions", "'dimensions' is " + dims + "; " + enc.id() + " has " + enc.dimensions() + " only");
        List<int[]> inputs = inputs(enc, f.get("input"));
        ObjectNode out = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        long tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] e = enc.embed(inputs.get(i));
            tokens += inputs.get(i).length;
            ObjectNode d = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) d.put("embedding", base64(e));
            else {
                ArrayNode a = d.putArray("embedding");
                for (float v : e) a.add(v);
            }
        }
        out.put("model", enc.id());
        out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return out;
    }

    /** Each input's ids, checked. */
    private static List<int[]> inputs(ServedEncoder enc, JsonNode in) {
        String shape = "'input' must be a string, a list of strings, a list of token ids or a list of lists of token ids";
        if (in == null) throw ApiException.invalid("input", "'input' is required");
        List<int[]> out = new ArrayList<>();
        if (in.isTextual()) out.add(text(enc, in.asText()));
        else if (!in.isArray() || in.isEmpty()) throw ApiException.invalid("input", in.isArray() ? "'input' is empty" : shape);
        else if (in.get(0).isTextual()) {
            for (JsonNode s : in) {
                if (!s.isTextual()) throw ApiException.invalid("input", shape + " (not a mix)");
                out.add(text(enc, s.asText()));
            }
        } else if (in.get(0).isIntegralNumber()) out.add(ids(enc, in, shape));
        else if (in.get(0).isArray()) for (JsonNode a : in) out.add(ids(enc, a, shape));
        else throw ApiException.invalid("input", shape);
        if (out.size() > MAX_INPUTS) throw ApiException.invalid("input", "'input' has " + out.size() + " items; at most " + MAX_INPUTS);
        return out;
    }

    private static int[] text(ServedEncoder enc, String s) {
        if (s.isEmpty()) throw ApiException.invalid("input", "an input string is empty");
        return enc.encode(s);
    }

    private static int[] ids(ServedEncoder enc, JsonNode a, String shape) {
        if (!a.isArray()) throw ApiException.invalid("input", shape + " (not a mix)");
        if (a.isEmpty()) throw ApiException.invalid("input", "a list of token ids is empty");
        if (a.size() > enc.maxPositions())
            throw ApiException.invalid("input", "an input has " + a.size() + " tokens; " + enc.id() + " takes at most " + enc.maxPositions());
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = a.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= enc.vocab())
                throw ApiException.invalid("input", "token " + t + " is not an id in [0, " + enc.vocab() + ")");
            ids[i] = t.asInt();
        }
        return ids;
    }

    /** float32 little-endian, base64: what OpenAI answers for encoding_format base64. */
    static String base64(float[] e) {
        ByteBuffer b = ByteBuffer.allocate(4 * e.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : e) b.putFloat(v);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
