package sq.distributed;

import sq.eval.EvalTable;
import sq.eval.Perplexity;
import sq.eval.Windows;
import sq.model.KvCache;
import sq.model.Transformer;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * eval --spark: every part builds the whole table (the same rows, from the same calibration) but scores only its range
 * of evaluation windows; the driver sums each row's log-probabilities over the parts in window order, the same double
 * additions as Perplexity.evaluate in one process, so every row's ppl is the same double.
 */
public final class DistributedEval {
    /**
     * What a part sends back: the table's rows (their ppl is that of the part's windows only, not used) and, per row,
     * its windows' log-probabilities [row][window of the part][position].
     */
    public record Part(List<EvalTable.Row> rows, List<double[][]> logProbs) implements Serializable {
    }

    private DistributedEval() {
    }

    /** An EvalTable evaluator that keeps each row's windows' log-probabilities, in row order. */
    public static final class Recorder implements EvalTable.Evaluator {
        private final List<double[][]> rows = new ArrayList<>();

        @Override
        public Perplexity.Result evaluate(Transformer model, Windows eval) {
            long t0 = System.nanoTime();
            KvCache cache = model.newCache(eval.length());
            double[][] lp = new double[eval.count()][];
            Perplexity.Sum sum = new Perplexity.Sum();
            for (int w = 0; w < lp.length; w++) sum.add(lp[w] = Perplexity.windowLogProbs(model, cache, eval, w));
            rows.add(lp);
            return sum.result(eval.count(), (System.nanoTime() - t0) / 1e9);
        }

        /** The part of these rows (the table that was run with this recorder). */
        public Part part(List<EvalTable.Row> tableRows) {
            if (tableRows.size() != rows.size())
                throw new IllegalStateException(tableRows.size() + " rows but " + rows.size() + " evaluations recorded");
            return new Part(List.copyOf(tableRows), List.copyOf(rows));
        }
    }

    /**
     * The table with each row's ppl over all windows: parts in window order. Every part must have built the same rows
     * (same methods, alphas, schemes, notes): they are pure functions of the command line, so a difference is a bug.
     */
    public static List<EvalTable.Row> merge(List<Part> parts) {
        List<EvalTable.Row> first = parts.getFirst().rows(), out = new ArrayList<>();
        for (Part p : parts)
            for (int r = 0; r < first.size(); r++)
                if (p.rows().size() != first.size() || !sameRow(first.get(r), p.rows().get(r)))
                    throw new IllegalStateException("the parts of eval built different tables (row " + r + ")");
        for (int r = 0; r < first.size(); r++) {
            Perplexity.Sum sum = new Perplexity.Sum();
            int windows = 0;
            for (Part p : parts)
                for (double[] lp : p.logProbs().get(r)) {
                    sum.add(lp);
                    windows++;
                }
            EvalTable.Row x = first.get(r);
            out.add(new EvalTable.Row(x.method(), x.alpha(), x.scheme(), x.weights(), x.activations(), x.bmm(),
                    sum.result(windows, 0).ppl(), x.note(), x.groupAlphas()));
        }
        return out;
    }

    private static boolean sameRow(EvalTable.Row a, EvalTable.Row b) {
        return a.method().equals(b.method()) && Objects.equals(a.alpha(), b.alpha()) && Objects.equals(a.scheme(), b.scheme())
                && a.note().equals(b.note()) && Objects.equals(a.groupAlphas(), b.groupAlphas());
    }
}
