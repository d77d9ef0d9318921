package sq.serve;

import sq.engine.Engine;
import sq.io.Json;
import sq.tokenizer.Tokenizer;
import sq.tokenizer.chat.ChatTemplate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What the server serves: a running engine and how text maps to ids.
 *
 * @param id        the model's name in the API (GET /v1/models, the requests' "model")
 * @param tokenizer null for a --shape model (random weights, no vocabulary): prompts are token ids, and each
 *                  generated token's text is its id and a space
 * @param eosIds    ids that end a generation (generation_config.json's eos_token_id), unless ignore_eos
 * @param bosId     prepended to text prompts of /v1/completions where the model has one distinct from its eos, or null
 * @param template  the chat template, or null: the plain format of {@link ChatPrompt}
 */
public record ServedModel(String id, Engine engine, Tokenizer tokenizer, Set<Integer> eosIds, Integer bosId, ChatTemplate template) {
    public ServedModel {
        eosIds = Set.copyOf(eosIds);
    }

    /** The chat template beside a tokenizer (file or folder) where it has one; null where it has none (a broken one is an error). */
    public static ChatTemplate chatTemplateBeside(Path tok) {
        Path dir = Files.isDirectory(tok) ? tok : tok.toAbsolutePath().getParent();
        Path cfg = dir.resolve("tokenizer_config.json");
        boolean has = Files.isRegularFile(dir.resolve("chat_template.jinja"))
                || Files.isRegularFile(cfg) && Json.read(cfg).has("chat_template");
        return has ? ChatTemplate.load(tok) : null;
    }

    /** One token's text where the model has no tokenizer. */
    static String idText(int id) {
        return id + " ";
    }
}
