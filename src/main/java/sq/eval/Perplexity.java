package sq.eval;

import sq.io.InputException;
import sq.model.KvCache;
import sq.model.Transformer;

import java.util.function.IntConsumer;

/**
 * Perplexity as the fixtures define it: for each window, NLL of tokens 1..T-1 given the ones before
 * (log-softmax of float32 logits, sums in double), averaged over all predicted positions; ppl = exp(mean NLL).
 */
public final class Perplexity {
    public record Result(double ppl, double meanNll, long predicted, int windows, double seconds) {
    }

    private Perplexity() {
    }

    /** progress gets the number of windows done after each one. */
    public static Result evaluate(Transformer model, Windows windows, IntConsumer progress) {
        long t0 = System.nanoTime();
        KvCache cache = model.newCache(windows.length());
        Sum sum = new Sum();
        for (int w = 0; w < windows.count(); w++) {
            sum.add(windowLogProbs(model, cache, windows, w));
            progress.accept(w + 1);
        }
        return sum.result(windows.count(), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * log p(ids[p+1] | ids[0..p]) for p = 0..T-2 of window w, from an empty cache: the per-window piece that the
     * single-process loop and the distributed runs (sq.distributed) both call.
     */
    public static double[] windowLogProbs(Transformer model, KvCache cache, Windows windows, int w) {
        int T = windows.length(), V = model.config().vocab();
        int[] ids = windows.window(w);
        cache.clear();
        float[] logits = model.forward(ids, cache, true);
        double[] lp = new double[T - 1];
        for (int p = 0; p + 1 < T; p++) {
            checkFinite(logits, p * V, V, windows.first() + w, p);
            lp[p] = logSoftmaxAt(logits, p * V, V, ids[p + 1]);
        }
        return lp;
    }

    /**
     * The NLL sum in double, one position after the other in window order: fed the same windows in the same order it
     * gives the same bits wherever the windows' log-probabilities were computed.
     */
    public static final class Sum {
        private double nll;
        private long n;

        public void add(double[] logProbs) {
            for (double lp : logProbs) {
                nll -= lp;
                n++;
            }
        }

        public Result result(int windows, double seconds) {
            double mean = nll / n;
            return new Result(Math.exp(mean), mean, n, windows, seconds);
        }
    }

    /**
     * A NaN or infinite logit would silently turn the perplexity into NaN or infinity: it stops the evaluation with the
     * window, the position in it and the vocabulary entry.
     */
    static void checkFinite(float[] logits, int off, int V, int window, int position) {
        int bad = 0;
        for (int i = 0; i < V; i++) bad |= (Float.floatToRawIntBits(logits[off + i]) & 0x7f800000) == 0x7f800000 ? 1 : 0;
        if (bad == 0) return;
        for (int i = 0; i < V; i++)
            if (!Float.isFinite(logits[off + i]))
                throw new InputException("evaluation stopped: logit " + logits[off + i] + " at window " + window + ", position "
                        + position + ", vocabulary entry " + i + " (the model or its weights produce non-finite values)");
    }

    /** log softmax(row)[target] for the row of V logits at off. */
    static double logSoftmaxAt(float[] logits, int off, int V, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < V; i++) sum += Math.exp(logits[off + i] - max);
        return logits[off + target] - max - Math.log(sum);
    }
}
