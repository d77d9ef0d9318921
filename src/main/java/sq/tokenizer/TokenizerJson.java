package sq.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;
import sq.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a Hugging Face {@code tokenizer.json} into an {@link HfTokenizer}. Every problem is an
 * {@link InputException} naming the file and the JSON key; unsupported components are listed
 * with what is supported.
 */
final class TokenizerJson {
    /** Real vocabularies stay far below this; the bound keeps a corrupt id from sizing a huge array. */
    private static final int MAX_ID = 1 << 24;
    /**
     * Ids index an array of tokens, so a few tokens with huge ids would allocate megabytes per token: ids above
     * twice the number of tokens plus this slack are refused (real files number their tokens densely from 0).
     */
    private static final int ID_SLACK = 1 << 16;
    /** Real pre-tokenizer regexes are a few hundred characters; java.util.regex compiles nesting recursively. */
    static final int MAX_REGEX_LENGTH = 1 << 14;
    static final int MAX_REGEX_NESTING = 100;

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static Tokenizer load(Path file) {
        TokenizerJson reader = new TokenizerJson(file);
        return reader.tokenizer(reader.read());
    }

    private JsonNode read() {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw InputException.of(file, Files.exists(file) ? "not a regular file" : "no such file");
            }
            long size = Files.size(file);
            if (size > Json.MAX_FILE_BYTES) {
                throw InputException.of(file, "tokenizer.json of " + size + " bytes is larger than the " + Json.MAX_FILE_BYTES + "-byte limit");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "no such file");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e);
        }
        return parse(bytes);
    }

    /** The root object of tokenizer.json bytes (the shared JSON limits: depth, sizes). */
    private JsonNode parse(byte[] bytes) {
        JsonNode root = Json.parse(file, bytes);
        if (root == null || !root.isObject()) {
            throw InputException.of(file, "not a tokenizer.json (expected a JSON object)");
        }
        return root;
    }

    private Tokenizer tokenizer(JsonNode root) {
        if (object(root, "model", "model").path("type").asText().equals("WordPiece")) return wordPiece(root);
        BpeModel model = model(object(root, "model", "model"));
        List<AddedTokens.Token> added = addedTokens(root.path("added_tokens"), model.vocab());
        checkDenseIds(model.vocab(), added);
        Normalizer normalizer = optional(root, "normalizer", this::normalizer);
        PreTokenizer preTokenizer = optional(root, "pre_tokenizer", this::preTokenizer);
        Decoder decoder = optional(root, "decoder", this::decoder);
        return new HfTokenizer(model, added, normalizer, preTokenizer, decoder, postProcessor(root));
    }

    // ---- model ----

    private BpeModel model(JsonNode node) {
        // Files from before the "type" tag existed hold a BPE model.
        String type = node.has("type") ? node.get("type").asText() : node.has("merges") ? "BPE" : null;
        if (type == null) {
            throw error("model.type", "missing (supported: BPE, WordPiece)");
        }
        if (!type.equals("BPE")) {
            throw unsupported("model.type", type, "BPE, WordPiece");
        }
        JsonNode dropout = node.path("dropout");
        if (dropout.isNumber() && dropout.asDouble() != 0) {
            throw error("model.dropout", "BPE dropout (" + dropout.asDouble() + ") is not supported; use null");
        }
        Map<String, Integer> vocab = new HashMap<>();
        object(node, "vocab", "model.vocab").properties().forEach(e -> {
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                throw error("model.vocab[\"" + e.getKey() + "\"]", "expected an id in 0.." + (MAX_ID - 1) + ", got " + id);
            }
            vocab.put(e.getKey(), id.asInt());
        });
        List<BpeModel.Merge> merges = new ArrayList<>();
        JsonNode list = node.path("merges");
        if (!list.isArray()) {
            throw error("model.merges", "missing or not a list");
        }
        for (int i = 0; i < list.size(); i++) {
            merges.add(merge(list.get(i), "model.merges[" + i + "]"));
        }
        try {
            return new BpeModel(vocab, merges, nullableText(node, "unk_token", "model"),
                    node.path("fuse_unk").asBoolean(false), node.path("byte_fallback").asBoolean(false),
                    node.path("ignore_merges").asBoolean(false),
                    nullableText(node, "continuing_subword_prefix", "model"),
                    nullableText(node, "end_of_word_suffix", "model"));
        } catch (IllegalArgumentException e) {
            throw error("model", e.getMessage());
        }
    }

    /** Either "left right" (older files) or ["left", "right"]. */
    private BpeModel.Merge merge(JsonNode node, String where) {
        if (node.isTextual()) {
            String[] parts = node.asText().split(" ", -1);
            if (parts.length == 2) {
                return new BpeModel.Merge(parts[0], parts[1]);
            }
        } else if (node.isArray() && node.size() == 2 && node.get(0).isTextual() && node.get(1).isTextual()) {
            return new BpeModel.Merge(node.get(0).asText(), node.get(1).asText());
        }
        throw error(where, "expected \"left right\" or [\"left\", \"right\"], got " + node);
    }

    private List<AddedTokens.Token> addedTokens(JsonNode list, Map<String, Integer> vocab) {
        List<AddedTokens.Token> tokens = new ArrayList<>();
        if (list.isMissingNode() || list.isNull()) {
            return tokens;
        }
        if (!list.isArray()) {
            throw error("added_tokens", "expected a list");
        }
        for (int i = 0; i < list.size(); i++) {
            String where = "added_tokens[" + i + "]";
            JsonNode t = list.get(i);
            String content = text(t, "content", where);
            JsonNode id = t.path("id");
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                throw error(where + ".id", "expected an id in 0.." + (MAX_ID - 1) + ", got " + id);
            }
            boolean special = t.path("special").asBoolean(false);
            // HF gives a token that is already in the model vocab its vocab id.
            tokens.add(new AddedTokens.Token(content, vocab.getOrDefault(content, id.asInt()),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("normalized").asBoolean(!special)));
        }
        return tokens;
    }

    // ---- pipeline components ----

    private Normalizer normalizer(JsonNode node, String where) {
        String type = text(node, "type", where);
        return switch (type) {
            case "NFC" -> Normalizer.unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> Normalizer.unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> Normalizer.unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> Normalizer.unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> Normalizer.lowercase();
            case "Prepend" -> Normalizer.prepend(text(node, "prepend", where));
            case "Replace" -> Normalizer.replace(pattern(node, where), text(node, "content", where));
            case "Sequence" -> Normalizer.sequence(list(node, "normalizers", where, this::normalizer));
            case "BertNormalizer" -> new BertNormalizer(node.path("clean_text").asBoolean(true),
                    node.path("handle_chinese_chars").asBoolean(true),
                    node.path("strip_accents").isBoolean() ? node.get("strip_accents").asBoolean() : null,
                    node.path("lowercase").asBoolean(true));
            default -> throw unsupported(where + ".type", type,
                    "NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Sequence, BertNormalizer");
        };
    }

    private PreTokenizer preTokenizer(JsonNode node, String where) {
        String type = text(node, "type", where);
        return switch (type) {
            case "ByteLevel" -> new ByteLevel(node.path("add_prefix_space").asBoolean(true),
                    node.path("use_regex").asBoolean(true));
            case "Split" -> new RegexSplit(pattern(node, where), behavior(node, where),
                    node.path("invert").asBoolean(false));
            case "Sequence" -> PreTokenizer.sequence(list(node, "pretokenizers", where, this::preTokenizer));
            case "BertPreTokenizer" -> new BertPreTokenizer();
            default -> throw unsupported(where + ".type", type, "ByteLevel, Split, Sequence, BertPreTokenizer");
        };
    }

    private RegexSplit.Behavior behavior(JsonNode node, String where) {
        String name = text(node, "behavior", where);
        return switch (name) {
            case "Removed" -> RegexSplit.Behavior.REMOVED;
            case "Isolated" -> RegexSplit.Behavior.ISOLATED;
            case "MergedWithPrevious" -> RegexSplit.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> RegexSplit.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> RegexSplit.Behavior.CONTIGUOUS;
            default -> throw unsupported(where + ".behavior", name,
                    "Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        };
    }

    private Decoder decoder(JsonNode node, String where) {
        String type = text(node, "type", where);
        return switch (type) {
            case "ByteLevel" -> Decoder.byteLevel();
            case "Replace" -> Decoder.replace(pattern(node, where), text(node, "content", where));
            case "ByteFallback" -> Decoder.byteFallback();
            case "Fuse" -> Decoder.fuse();
            case "Strip" -> {
                String content = text(node, "content", where);
                if (content.codePointCount(0, content.length()) != 1) {
                    throw error(where + ".content", "expected one character, got \"" + content + "\"");
                }
                yield Decoder.strip(content.codePointAt(0), node.path("start").asInt(0), node.path("stop").asInt(0));
            }
            case "Sequence" -> Decoder.sequence(list(node, "decoders", where, this::decoder));
            case "WordPiece" -> new WordPieceDecoder(node.path("prefix").asText("##"), node.path("cleanup").asBoolean(true));
            default -> throw unsupported(where + ".type", type, "ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence, WordPiece");
        };
    }

    /** {"String": literal} or {"Regex": Oniguruma pattern}, under the key "pattern". */
    private Pattern pattern(JsonNode node, String where) {
        JsonNode p = object(node, "pattern", where + ".pattern");
        if (p.path("String").isTextual()) {
            return Pattern.compile(Pattern.quote(p.get("String").asText()));
        }
        if (p.path("Regex").isTextual()) {
            String regex = p.get("Regex").asText();
            checkRegexSize(regex, where + ".pattern.Regex");
            try {
                return OnigRegex.compile(regex);
            } catch (PatternSyntaxException e) {
                throw error(where + ".pattern.Regex", "cannot compile regex: " + e.getDescription()
                        + " near index " + e.getIndex() + " of " + p.get("Regex").asText());
            }
        }
        throw error(where + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}, got " + p);
    }

    /** A BERT-style file: WordPiece model, the same pipeline components, truncation.max_length if set. */
    private WordPieceTokenizer wordPiece(JsonNode root) {
        JsonNode node = root.get("model");
        Map<String, Integer> vocab = new HashMap<>();
        object(node, "vocab", "model.vocab").properties().forEach(e -> {
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                throw error("model.vocab[\"" + e.getKey() + "\"]", "expected an id in 0.." + (MAX_ID - 1) + ", got " + id);
            }
            vocab.put(e.getKey(), id.asInt());
        });
        WordPieceModel model;
        JsonNode maxChars = node.path("max_input_chars_per_word");
        if (!maxChars.isMissingNode() && !maxChars.isNull() && !(maxChars.isIntegralNumber() && maxChars.canConvertToInt() && maxChars.asInt() > 0)) {
            throw error("model.max_input_chars_per_word", "expected a positive integer, got " + maxChars);
        }
        try {
            model = new WordPieceModel(vocab, node.path("unk_token").asText("[UNK]"),
                    node.path("continuing_subword_prefix").asText("##"), maxChars.asInt(100));
        } catch (IllegalArgumentException e) {
            throw error("model", e.getMessage());
        }
        List<AddedTokens.Token> added = addedTokens(root.path("added_tokens"), vocab);
        checkDenseIds(vocab, added);
        PostProcessor post = postProcessor(root);
        JsonNode maxLength = root.path("truncation").path("max_length");
        return new WordPieceTokenizer(model, added,
                optional(root, "normalizer", this::normalizer), optional(root, "pre_tokenizer", this::preTokenizer),
                optional(root, "decoder", this::decoder), post.first(), post.last(),
                maxLength.canConvertToInt() && maxLength.asInt() > 0 ? maxLength.asInt() : Integer.MAX_VALUE);
    }

    // ---- post-processor: the special tokens that frame a sequence ----

    private PostProcessor postProcessor(JsonNode root) {
        PostProcessor p = optional(root, "post_processor", this::postProcessor);
        return p == null ? PostProcessor.NONE : p;
    }

    private PostProcessor postProcessor(JsonNode node, String where) {
        String type = text(node, "type", where);
        return switch (type) {
            case "ByteLevel" -> PostProcessor.NONE; // only offsets change
            case "TemplateProcessing" -> template(node, where);
            case "BertProcessing", "RobertaProcessing" ->
                    new PostProcessor(new int[]{tokenPair(node, "cls", where)}, new int[]{tokenPair(node, "sep", where)});
            case "Sequence" -> list(node, "processors", where, this::postProcessor).stream()
                    .reduce(PostProcessor.NONE, PostProcessor::then);
            default -> throw unsupported(where + ".type", type, "ByteLevel, TemplateProcessing, BertProcessing, RobertaProcessing, Sequence");
        };
    }

    /** The "single" template: special tokens around exactly one {"Sequence": {"id": "A"}}. */
    private PostProcessor template(JsonNode node, String where) {
        JsonNode single = node.path("single");
        if (!single.isArray()) throw error(where + ".single", "missing or not a list");
        IntList prefix = new IntList(2), suffix = new IntList(2);
        int sequences = 0;
        for (int i = 0; i < single.size(); i++) {
            String at = where + ".single[" + i + "]";
            JsonNode item = single.get(i);
            if (item.has("Sequence")) {
                sequences++;
                continue;
            }
            String name = text(object(item, "SpecialToken", at + ".SpecialToken"), "id", at + ".SpecialToken");
            JsonNode ids = node.path("special_tokens").path(name).path("ids");
            if (!ids.isArray() || ids.isEmpty()) {
                throw error(where + ".special_tokens[\"" + name + "\"].ids", "missing or empty");
            }
            for (int k = 0; k < ids.size(); k++) {
                JsonNode id = ids.get(k);
                if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                    throw error(where + ".special_tokens[\"" + name + "\"].ids[" + k + "]", "expected an id, got " + id);
                }
                (sequences == 0 ? prefix : suffix).add(id.asInt());
            }
        }
        if (sequences != 1) throw error(where + ".single", "expected exactly one Sequence, found " + sequences);
        return new PostProcessor(prefix.toArray(), suffix.toArray());
    }

    /** BertProcessing's ["[CLS]", 101]. */
    private int tokenPair(JsonNode node, String key, String where) {
        JsonNode pair = node.path(key);
        if (!pair.isArray() || pair.size() != 2 || !pair.get(1).canConvertToInt() || pair.get(1).asInt() < 0) {
            throw error(where + "." + key, "expected [token, id], got " + pair);
        }
        return pair.get(1).asInt();
    }

    /** Ids must be dense enough that the id -> token array stays proportional to the number of tokens. */
    private void checkDenseIds(Map<String, Integer> vocab, List<AddedTokens.Token> added) {
        long count = vocab.size() + added.size();
        int maxId = -1;
        String where = "model.vocab";
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getValue() > maxId) {
                maxId = e.getValue();
                where = "model.vocab[\"" + e.getKey() + "\"]";
            }
        }
        for (int i = 0; i < added.size(); i++) {
            if (added.get(i).id() > maxId) {
                maxId = added.get(i).id();
                where = "added_tokens[" + i + "].id";
            }
        }
        if (maxId >= 2 * count + ID_SLACK) {
            throw error(where, "id " + maxId + " is far beyond the " + count + " tokens of the file (ids must be numbered densely from 0)");
        }
    }

    /** Length and group nesting bounded before java.util.regex sees the pattern (its compiler recurses per group). */
    private void checkRegexSize(String regex, String where) {
        if (regex.length() > MAX_REGEX_LENGTH) {
            throw error(where, "regex of " + regex.length() + " characters is longer than " + MAX_REGEX_LENGTH);
        }
        int depth = 0, max = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '(' || c == '[') {
                max = Math.max(max, ++depth);
            } else if ((c == ')' || c == ']') && depth > 0) {
                depth--;
            }
        }
        if (max > MAX_REGEX_NESTING) {
            throw error(where, "regex nests " + max + " groups deep, more than " + MAX_REGEX_NESTING);
        }
    }

    // ---- JSON helpers ----

    /** A component that may be absent or null (no normalizer, no decoder...). */
    private <T> T optional(JsonNode parent, String key, Component<T> reader) {
        JsonNode node = parent.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw error(key, "expected an object or null, got " + node);
        }
        return reader.read(node, key);
    }

    private <T> List<T> list(JsonNode node, String key, String where, Component<T> reader) {
        JsonNode items = node.path(key);
        if (!items.isArray()) {
            throw error(where + "." + key, "missing or not a list");
        }
        List<T> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String at = where + "." + key + "[" + i + "]";
            if (!items.get(i).isObject()) {
                throw error(at, "expected an object, got " + items.get(i));
            }
            result.add(reader.read(items.get(i), at));
        }
        return result;
    }

    @FunctionalInterface
    private interface Component<T> {
        T read(JsonNode node, String where);
    }

    private JsonNode object(JsonNode parent, String key, String where) {
        JsonNode node = parent.path(key);
        if (!node.isObject()) {
            throw error(where, node.isMissingNode() ? "missing" : "expected an object, got " + node);
        }
        return node;
    }

    private String text(JsonNode parent, String key, String where) {
        JsonNode node = parent.path(key);
        if (!node.isTextual()) {
            throw error(where + "." + key, node.isMissingNode() ? "missing" : "expected a string, got " + node);
        }
        return node.asText();
    }

    private String nullableText(JsonNode parent, String key, String where) {
        JsonNode node = parent.path(key);
        return node.isMissingNode() || node.isNull() ? null : text(parent, key, where);
    }

    private InputException unsupported(String key, String type, String supported) {
        return error(key, "\"" + type + "\" is not supported (supported: " + supported + ")");
    }

    private InputException error(String where, String problem) {
        return InputException.of(file, where + ": " + problem);
    }
}
