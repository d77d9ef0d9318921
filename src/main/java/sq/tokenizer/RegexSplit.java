package sq.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Split} pre-tokenizer: the text is cut into spans that match the pattern and spans
 * that do not; the behaviour decides what becomes a piece (HF's SplitDelimiterBehavior).
 */
final class RegexSplit implements PreTokenizer {
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private final Pattern pattern;
    private final Behavior behavior;
    private final boolean invert;

    /** @param invert the spans between matches play the role of the matches */
    RegexSplit(Pattern pattern, Behavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    @Override
    public void split(String text, List<String> out) {
        Pieces pieces = new Pieces(text, out);
        Matcher m = pattern.matcher(text);
        int done = 0;
        while (m.find()) {
            if (m.start() > done) {
                pieces.span(done, m.start(), invert);
            }
            pieces.span(m.start(), m.end(), !invert);
            done = m.end();
        }
        if (done < text.length()) {
            pieces.span(done, text.length(), invert);
        }
        pieces.flush();
    }

    /** Folds the spans, in order, into pieces; empty pieces are dropped as HF drops them. */
    private final class Pieces {
        private final String text;
        private final List<String> out;
        private int start = -1; // the piece being built is [start, end); -1 when there is none
        private int end;
        private boolean previousMatched;

        Pieces(String text, List<String> out) {
            this.text = text;
            this.out = out;
        }

        void span(int from, int to, boolean matched) {
            boolean extend = switch (behavior) {
                case REMOVED, ISOLATED -> false;
                case MERGED_WITH_PREVIOUS -> matched && !previousMatched;
                case CONTIGUOUS -> matched == previousMatched;
                // A match is held open so that the span after it can join, unless that one matches too.
                case MERGED_WITH_NEXT -> !matched && previousMatched;
            };
            if (extend && start >= 0) {
                end = to;
            } else {
                flush();
                if (!(matched && behavior == Behavior.REMOVED)) {
                    start = from;
                    end = to;
                }
            }
            previousMatched = matched;
        }

        void flush() {
            if (start >= 0 && end > start) {
                out.add(text.substring(start, end));
            }
            start = -1;
        }
    }
}
