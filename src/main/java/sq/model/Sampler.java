package sq.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token: greedy at temperature 0, else softmax(logits / T) restricted to the top-p nucleus. */
public final class Sampler {
    private final float temperature, topP;
    private final SplittableRandom random;

    public Sampler(float temperature, float topP, long seed) {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be in (0, 1]");
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public int next(float[] logits) {
        if (temperature == 0) return argmax(logits);
        int V = logits.length;
        double[] p = new double[V];
        float max = logits[argmax(logits)];
        double sum = 0;
        for (int i = 0; i < V; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        Integer[] order = new Integer[V];
        for (int i = 0; i < V; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(p[y], p[x]));
        // smallest prefix of the sorted distribution whose mass reaches top-p
        double mass = 0;
        int keep = 0;
        while (keep < V && mass < topP * sum) mass += p[order[keep++]];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r <= 0) return order[i];
        }
        return order[keep - 1];
    }
}
