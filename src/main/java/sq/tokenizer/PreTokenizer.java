package sq.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** A tokenizer.json pre-tokenizer: cuts normalized text into the words BPE runs on. */
@FunctionalInterface
interface PreTokenizer {
    /** Appends the non-empty pieces of {@code text} to {@code out}. */
    void split(String text, List<String> out);

    /** Each step splits every piece the previous step produced. */
    static PreTokenizer sequence(List<PreTokenizer> steps) {
        return (text, out) -> {
            List<String> pieces = List.of(text);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>(pieces.size() * 2);
                for (String piece : pieces) {
                    step.split(piece, next);
                }
                pieces = next;
            }
            out.addAll(pieces);
        };
    }
}
