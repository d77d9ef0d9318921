package sq.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.io.InputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken or unsupported tokenizer.json files: an InputException naming the file and the key. */
class BadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    /** The sp512 fixture (small) with one edit. */
    private Path edited(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(Fixtures.path("tokenizers/sp512-stories/tokenizer.json").toFile());
        edit.accept(root);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("tokenizer.json");
        assertThatThrownBy(() -> Tokenizer.load(missing))
                .isInstanceOf(InputException.class).hasMessage(missing + ": no such file");
    }

    @Test
    void folderWithoutTokenizerJson() {
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(InputException.class).hasMessage(dir + ": folder has no tokenizer.json");
    }

    @Test
    void invalidJson() throws IOException {
        Path file = write("tokenizer.json", "{\"model\": {\"type\": \"BPE\",, }");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": not valid JSON: ").hasMessageContaining("line 1");
    }

    @Test
    void notAnObject() throws IOException {
        Path file = write("tokenizer.json", "[1, 2]");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": not a tokenizer.json (expected a JSON object)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Unigram", "WordLevel"})
    void unsupportedModelType(String type) throws IOException {
        Path file = edited(root -> model(root).put("type", type));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": model.type: \"" + type + "\" is not supported (supported: BPE, WordPiece)");
    }

    @Test
    void missingModel() throws IOException {
        Path file = edited(root -> root.remove("model"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": model: missing");
    }

    @Test
    void unsupportedNormalizer() throws IOException {
        Path file = edited(root -> ((ArrayNode) root.get("normalizer").get("normalizers")).addObject().put("type", "Precompiled"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": normalizer.normalizers[2].type: \"Precompiled\" is not supported "
                        + "(supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Sequence, BertNormalizer)");
    }

    @Test
    void unsupportedPreTokenizer() throws IOException {
        Path file = edited(root -> root.putObject("pre_tokenizer").put("type", "Metaspace"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": pre_tokenizer.type: \"Metaspace\" is not supported (supported: ByteLevel, Split, Sequence, BertPreTokenizer)");
    }

    @Test
    void unsupportedDecoder() throws IOException {
        Path file = edited(root -> root.putObject("decoder").put("type", "CTC"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": decoder.type: \"CTC\" is not supported (supported: ByteLevel,");
    }

    @Test
    void unsupportedSplitBehavior() throws IOException {
        Path file = edited(root -> root.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Sideways")
                .putObject("pattern").put("String", " "));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": pre_tokenizer.behavior: \"Sideways\" is not supported");
    }

    @Test
    void invalidRegex() throws IOException {
        Path file = edited(root -> root.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "(unclosed"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": pre_tokenizer.pattern.Regex: cannot compile regex");
    }

    @Test
    void mergeOfUnknownTokens() throws IOException {
        Path file = edited(root -> ((ArrayNode) model(root).get("merges")).addArray().add("▁t").add("nosuchtoken"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": model: merges[165]: token \"nosuchtoken\" is not in the vocab");
    }

    @Test
    void malformedMerge() throws IOException {
        Path file = edited(root -> ((ArrayNode) model(root).get("merges")).add("a b c"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": model.merges[165]: expected \"left right\" or [\"left\", \"right\"]");
    }

    @Test
    void badVocabId() throws IOException {
        Path file = edited(root -> ((ObjectNode) model(root).get("vocab")).put("oops", "seven"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": model.vocab[\"oops\"]: expected an id");
    }

    @Test
    void addedTokenWithoutContent() throws IOException {
        Path file = edited(root -> ((ArrayNode) root.get("added_tokens")).addObject().put("id", 7));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessage(file + ": added_tokens[3].content: missing");
    }

    @Test
    void bpeDropout() throws IOException {
        Path file = edited(root -> model(root).put("dropout", 0.1));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(file + ": model.dropout: ");
    }
}
