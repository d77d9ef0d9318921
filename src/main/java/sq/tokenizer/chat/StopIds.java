package sq.tokenizer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;
import sq.io.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The ids that end a reply, as transformers' generate reads them: eos_token_id of generation_config.json (a number
 * or a list: Llama 3 instruct stops on <|end_of_text|>, <|eom_id|> and <|eot_id|>), or of config.json where
 * generation_config.json does not say.
 */
public final class StopIds {
    private StopIds() {
    }

    /**
     * @param modelDir a Hugging Face model folder
     * @param fallback the model config's eos id, used when neither file names one (null: none)
     */
    public static Set<Integer> of(Path modelDir, Integer fallback) {
        for (String name : new String[]{"generation_config.json", "config.json"}) {
            Path file = modelDir.resolve(name);
            if (!Files.isRegularFile(file)) continue;
            JsonNode v = Json.read(file).path("eos_token_id");
            if (v.isMissingNode() || v.isNull()) continue;
            return ids(file, v);
        }
        return fallback == null ? Set.of() : Set.of(fallback);
    }

    private static Set<Integer> ids(Path file, JsonNode v) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) ids.add(id(file, v.get(i), "eos_token_id[" + i + "]"));
        } else {
            ids.add(id(file, v, "eos_token_id"));
        }
        return ids;
    }

    private static int id(Path file, JsonNode v, String where) {
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
            throw InputException.of(file, where + ": expected a token id (a non-negative integer), got " + v);
        }
        return v.asInt();
    }
}
