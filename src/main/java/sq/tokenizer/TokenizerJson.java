package sq.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import sq.io.InputException;
import sq.io.Json;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a Hugging Face {@code tokenizer.json} into an {@link HfTokenizer}. Every problem is an
 * {@link InputException} naming the file and the JSON key; unsupported components are listed
 * with what is supported.
 * <p>
 * model.vocab and model.merges (nearly all of a 33 MB file) are streamed with Jackson's parser straight into a
 * {@link TokenIndex} and a string array; the rest becomes a small tree. Their checks run after the whole document
 * has parsed, in the order a tree of the whole file would give, so the errors are those of reading that tree.
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

    /**
     * The shared JSON limits, without interning field names: every vocab token is a field name, and a 262k-entry
     * symbol table costs more than the strings themselves.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE) // the rest of the bytes is read after the root object
            .streamReadConstraints(Json.MAPPER.getFactory().streamReadConstraints())
            .build();
    /** Stand in the tree for the streamed model.vocab / model.merges, so checks of the tree see their kind. */
    private static final JsonNode STREAMED_OBJECT = Json.MAPPER.createObjectNode();
    private static final JsonNode STREAMED_ARRAY = Json.MAPPER.createArrayNode();

    private final Path file;
    // The streamed parts of the last root "model" object (a repeated key replaces, as in a tree).
    private TokenIndex vocab;              // null where model.vocab is not an object (then the tree holds it)
    private TreeMap<Integer, JsonNode> unusualIds; // vocab entry -> its value, where that is not a plain id in range
    private String[] merges;               // null where model.merges is not a list; else left, right by rank
    private int mergeCount;
    private int badMerge;                  // the first merge in neither form, or -1
    private JsonNode badMergeNode;

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

    /**
     * The root object of tokenizer.json bytes (strict UTF-8, the shared JSON limits: depth, sizes). The bytes are
     * decoded as the parser reads them: one char array of a 33 MB file costs more to allocate than to fill.
     */
    private JsonNode parse(byte[] bytes) {
        if (bytes.length > Json.MAX_FILE_BYTES) {
            throw InputException.of(file, "JSON of " + bytes.length + " bytes is larger than the " + Json.MAX_FILE_BYTES + "-byte limit");
        }
        Reader reader = new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        try (JsonParser p = FACTORY.createParser(reader)) {
            JsonNode root = null;
            JsonProcessingException invalid = null;
            try {
                JsonToken first = p.nextToken();
                if (first == JsonToken.START_OBJECT) {
                    root = rootObject(p);
                } else if (first != null) {
                    tree(p);
                }
            } catch (JsonProcessingException e) {
                invalid = e;
            }
            // Bytes that are not UTF-8 anywhere in the file are reported before any JSON error, as when decoding first.
            char[] rest = new char[1 << 13];
            while (reader.read(rest) >= 0) {
            }
            if (invalid != null) {
                throw InputException.of(file, "not valid JSON: " + Json.describe(invalid));
            }
            if (root == null) {
                throw InputException.of(file, "not a tokenizer.json (expected a JSON object)");
            }
            return root;
        } catch (CharacterCodingException e) {
            throw InputException.of(file, "not UTF-8 text");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e);
        }
    }

    /** The root object, the parser on its START_OBJECT; a "model" object is read by {@link #modelObject}. */
    private ObjectNode rootObject(JsonParser p) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        // Objects are walked with nextFieldName(), arrays with nextToken(), as Jackson's tree reader does: the two
        // report some syntax errors in different words.
        for (String name; (name = p.nextFieldName()) != null; ) {
            root.set(name, p.nextToken() == JsonToken.START_OBJECT && name.equals("model") ? modelObject(p) : tree(p));
        }
        return root;
    }

    private ObjectNode modelObject(JsonParser p) throws IOException {
        vocab = null;
        merges = null;
        ObjectNode model = Json.MAPPER.createObjectNode();
        for (String name; (name = p.nextFieldName()) != null; ) {
            JsonToken value = p.nextToken();
            if (name.equals("vocab")) {
                vocab = null;
                if (value == JsonToken.START_OBJECT) {
                    streamVocab(p);
                    model.set(name, STREAMED_OBJECT);
                    continue;
                }
            } else if (name.equals("merges")) {
                merges = null;
                if (value == JsonToken.START_ARRAY) {
                    streamMerges(p);
                    model.set(name, STREAMED_ARRAY);
                    continue;
                }
            }
            model.set(name, tree(p));
        }
        return model;
    }

    /** {"token": id, ...}; values that are not a plain id in range keep their node for {@link #vocab()}. */
    private void streamVocab(JsonParser p) throws IOException {
        vocab = new TokenIndex(1 << 10);
        unusualIds = new TreeMap<>();
        for (String token; (token = p.nextFieldName()) != null; ) {
            int id;
            if (p.nextToken() == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT
                    && (id = p.getIntValue()) >= 0 && id < MAX_ID) {
                int entry = vocab.put(token, id);
                if (!unusualIds.isEmpty()) unusualIds.remove(entry);
            } else {
                unusualIds.put(vocab.put(token, -1), tree(p));
            }
        }
    }

    /** ["left right", ...] or [["left", "right"], ...]; the first item in neither form is kept for {@link #model}. */
    private void streamMerges(JsonParser p) throws IOException {
        merges = new String[1 << 11];
        mergeCount = 0;
        badMerge = -1;
        badMergeNode = null;
        for (int i = 0; ; i++) {
            JsonToken item = p.nextToken();
            if (item == JsonToken.END_ARRAY) {
                return;
            }
            if (item == JsonToken.VALUE_STRING) {
                char[] text = p.getTextCharacters();
                int start = p.getTextOffset(), end = start + p.getTextLength(), space = -1, spaces = 0;
                for (int k = start; k < end; k++) {
                    if (text[k] == ' ') {
                        space = k;
                        spaces++;
                    }
                }
                if (spaces == 1) {
                    addMerge(new String(text, start, space - start), new String(text, space + 1, end - space - 1));
                } else {
                    badMerge(i, TextNode.valueOf(p.getText()));
                }
            } else if (item == JsonToken.START_ARRAY) {
                String[] parts = new String[2];
                int n = 0;
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.VALUE_STRING && n < 2) {
                    parts[n++] = p.getText();
                }
                if (t == JsonToken.END_ARRAY && n == 2) {
                    addMerge(parts[0], parts[1]);
                } else {
                    // Not two strings: the item as a tree would show it, for the message.
                    ArrayNode node = Json.MAPPER.createArrayNode();
                    for (int k = 0; k < n; k++) node.add(parts[k]);
                    for (; t != JsonToken.END_ARRAY; t = p.nextToken()) node.add(tree(p));
                    badMerge(i, node);
                }
            } else {
                badMerge(i, tree(p));
            }
        }
    }

    /** The value at the parser's current token, as a tree. */
    private static JsonNode tree(JsonParser p) throws IOException {
        return Json.MAPPER.readTree(p);
    }

    private void addMerge(String left, String right) {
        if (2 * mergeCount + 2 > merges.length) {
            merges = Arrays.copyOf(merges, merges.length * 2);
        }
        merges[2 * mergeCount] = left;
        merges[2 * mergeCount + 1] = right;
        mergeCount++;
    }

    private void badMerge(int index, JsonNode node) {
        if (badMerge < 0) {
            badMerge = index;
            badMergeNode = node;
        }
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
        TokenIndex vocab = vocab(node);
        if (!node.path("merges").isArray()) {
            throw error("model.merges", "missing or not a list");
        }
        if (badMerge >= 0) {
            throw error("model.merges[" + badMerge + "]", "expected \"left right\" or [\"left\", \"right\"], got " + badMergeNode);
        }
        try {
            return new BpeModel(vocab, merges, mergeCount, nullableText(node, "unk_token", "model"),
                    node.path("fuse_unk").asBoolean(false), node.path("byte_fallback").asBoolean(false),
                    node.path("ignore_merges").asBoolean(false),
                    nullableText(node, "continuing_subword_prefix", "model"),
                    nullableText(node, "end_of_word_suffix", "model"));
        } catch (IllegalArgumentException e) {
            throw error("model", e.getMessage());
        }
    }

    /** The streamed model.vocab of {@code model}, every id checked (in the file's order). */
    private TokenIndex vocab(JsonNode model) {
        object(model, "vocab", "model.vocab");
        unusualIds.forEach((entry, id) -> {
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                throw error("model.vocab[\"" + vocab.token(entry) + "\"]", "expected an id in 0.." + (MAX_ID - 1) + ", got " + id);
            }
            vocab.setId(entry, id.asInt());
        });
        return vocab;
    }

    private List<AddedTokens.Token> addedTokens(JsonNode list, TokenIndex vocab) {
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
            int vocabId = vocab.get(content);
            tokens.add(new AddedTokens.Token(content, vocabId >= 0 ? vocabId : id.asInt(),
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
        TokenIndex vocab = vocab(node);
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
    private void checkDenseIds(TokenIndex vocab, List<AddedTokens.Token> added) {
        long count = vocab.size() + added.size();
        int maxId = -1, maxEntry = -1;
        for (int e = 0; e < vocab.size(); e++) {
            if (vocab.id(e) > maxId) {
                maxId = vocab.id(e);
                maxEntry = e;
            }
        }
        String where = maxEntry < 0 ? "model.vocab" : "model.vocab[\"" + vocab.token(maxEntry) + "\"]";
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
