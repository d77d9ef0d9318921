package sq.bert;

import sq.testing.Fixtures;
import sq.tokenizer.WordPieceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The encoders the tests use: the .onnx and tokenizer.json resources of the langchain4j jars on the test class
 * path (extracted once by {@link BertModels}), loaded once per JVM; and sentences from the fixtures' WikiText-2 text.
 */
final class BertFixtures {
    record Loaded(BertModels.ModelFiles files, BertModel model, WordPieceTokenizer tokenizer) {
        BertEncoder encoder() {
            return new BertEncoder(model, files.pooling());
        }
    }

    private static Loaded minilm, bge;
    private static List<String> lines;

    private BertFixtures() {
    }

    static synchronized Loaded minilm() {
        if (minilm == null) minilm = load(BertModels.Known.MINILM);
        return minilm;
    }

    static synchronized Loaded bge() {
        if (bge == null) bge = load(BertModels.Known.BGE_SMALL);
        return bge;
    }

    private static Loaded load(BertModels.Known k) {
        BertModels.ModelFiles f = BertModels.known(k);
        BertModel m = OnnxBert.load(f.onnx());
        WordPieceTokenizer t = WordPieceTokenizer.load(f.tokenizer());
        return new Loaded(f, m, t.withMaxLength(Math.min(t.maxLength(), m.config().maxPositions())));
    }

    /** The non-blank lines of wikitext2-test.txt, stripped. */
    static synchronized List<String> lines() {
        if (lines == null) {
            try {
                List<String> out = new ArrayList<>();
                for (String l : Files.readAllLines(Fixtures.bundled("text/wikitext2-test.txt"))) {
                    String s = l.strip();
                    if (!s.isEmpty()) out.add(s);
                }
                lines = List.copyOf(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }

    /** count sentences of at most maxTokens ids ([CLS], [SEP] included), after skipping skip of them. */
    static List<int[]> sentences(WordPieceTokenizer tok, int maxTokens, int skip, int count) {
        return EmbedEval.sentences(lines(), tok, maxTokens, skip, count);
    }
}
