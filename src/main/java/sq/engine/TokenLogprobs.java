package sq.engine;

/**
 * The sampled token's log probability under the model (log-softmax of the raw logits, in double) and the top
 * alternatives, most likely first.
 */
public record TokenLogprobs(int id, double logprob, int[] topIds, double[] topLogprobs) {

    static TokenLogprobs of(float[] logits, int id, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double sum = 0;
        for (float x : logits) sum += Math.exp(x - max);
        double logZ = max + Math.log(sum);
        int k = Math.min(top, logits.length);
        int[] ids = new int[k];
        double[] lps = new double[k];
        boolean[] taken = new boolean[logits.length];
        for (int j = 0; j < k; j++) { // k <= 20: selection is cheaper than sorting the vocabulary
            int best = -1;
            for (int i = 0; i < logits.length; i++) if (!taken[i] && (best < 0 || logits[i] > logits[best])) best = i;
            taken[best] = true;
            ids[j] = best;
            lps[j] = logits[best] - logZ;
        }
        return new TokenLogprobs(id, logits[id] - logZ, ids, lps);
    }
}
