package sq.bert;

import java.util.List;

/**
 * How close one set of sentence embeddings is to a reference set (both L2-normalized, same sentences, same order):
 * cosine per sentence, and retrieval agreement: for each sentence, the overlap of its k nearest neighbours (by
 * cosine, among the other sentences) under the candidate embeddings with those under the reference, averaged.
 */
public final class EmbeddingMetrics {
    /** @param top10 mean fraction of the reference top-10 neighbours that the candidate's top-10 shares */
    public record Summary(double meanCos, double minCos, double top10) {
    }

    private EmbeddingMetrics() {
    }

    public static Summary compare(List<float[]> reference, List<float[]> candidate) {
        if (reference.size() != candidate.size()) throw new IllegalArgumentException("different numbers of embeddings");
        double sum = 0, min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < reference.size(); i++) {
            double c = cosine(reference.get(i), candidate.get(i));
            sum += c;
            min = Math.min(min, c);
        }
        return new Summary(sum / reference.size(), min, topKOverlap(reference, candidate, 10));
    }

    public static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /** Mean over sentences of |topK_ref(i) ∩ topK_cand(i)| / k; k is cut to n - 1 for small sets. */
    public static double topKOverlap(List<float[]> reference, List<float[]> candidate, int k) {
        int n = reference.size();
        if (n < 2) return 1;
        int kk = Math.min(k, n - 1);
        double total = 0;
        for (int i = 0; i < n; i++) {
            int[] a = topK(reference, i, kk), b = topK(candidate, i, kk);
            int common = 0;
            for (int x : a)
                for (int y : b)
                    if (x == y) common++;
            total += (double) common / kk;
        }
        return total / n;
    }

    /** Indices of the k sentences most similar to sentence i (i excluded), ties broken by index. */
    static int[] topK(List<float[]> e, int i, int k) {
        int n = e.size();
        double[] sim = new double[n];
        for (int j = 0; j < n; j++) sim[j] = j == i ? Double.NEGATIVE_INFINITY : cosine(e.get(i), e.get(j));
        int[] best = new int[k];
        boolean[] taken = new boolean[n];
        taken[i] = true;
        for (int r = 0; r < k; r++) {
            int arg = -1;
            for (int j = 0; j < n; j++)
                if (!taken[j] && (arg < 0 || sim[j] > sim[arg])) arg = j;
            best[r] = arg;
            taken[arg] = true;
        }
        return best;
    }
}
