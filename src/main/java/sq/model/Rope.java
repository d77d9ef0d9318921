package sq.model;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: in each head, dims i and i + r/2 (r = the rotary
 * dims, all of head_dim unless partial) form a pair rotated by angle pos * invFreq[i]; dims from r on pass through.
 * As transformers: angle = (float) pos * invFreq in float32, cos and sin times the scaling's attention factor.
 * Tables grow with the positions asked for; frequencies that depend on the sequence length (longrope, dynamic NTK)
 * are rebuilt when they change.
 */
final class Rope {
    private final RopeScaling scaling;
    private final int headDim, half;
    private float[] invFreq;
    private float factor;
    private float[] cos = new float[0], sin = new float[0]; // [positions, half]
    private int positions;

    Rope(RopeScaling scaling, int headDim, int rotaryDim) {
        this.scaling = scaling;
        this.headDim = headDim;
        this.half = rotaryDim / 2;
    }

    /** Rotates every head of the rows x[t] ([T, heads*headDim]) at positions start + t. */
    void apply(float[] x, int tokens, int heads, int start) {
        table(start + tokens);
        for (int t = 0; t < tokens; t++) {
            int tab = (start + t) * half;
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    float a = x[base + i], b = x[base + i + half];
                    float c = cos[tab + i], s = sin[tab + i];
                    x[base + i] = a * c - b * s;
                    x[base + i + half] = b * c + a * s;
                }
            }
        }
    }

    /** Makes the tables cover positions 0..seqLen-1 with the frequencies of a sequence of that length. */
    private void table(int seqLen) {
        boolean same = invFreq != null && (!scaling.dependsOnLength() || java.util.Arrays.equals(invFreq, scaling.invFreq(seqLen)));
        if (same && seqLen <= positions) return;
        if (!same) {
            invFreq = scaling.invFreq(seqLen);
            factor = scaling.attentionFactor(seqLen);
            positions = 0;
        }
        int n = Math.max(seqLen, Math.min(2 * positions, Integer.MAX_VALUE / Math.max(1, half)));
        float[] c = java.util.Arrays.copyOf(cos, n * half), s = java.util.Arrays.copyOf(sin, n * half);
        for (int p = positions; p < n; p++)
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i];
                c[p * half + i] = (float) Math.cos(angle) * factor;
                s[p * half + i] = (float) Math.sin(angle) * factor;
            }
        cos = c;
        sin = s;
        positions = n;
    }
}
