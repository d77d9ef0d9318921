package sq.model;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: for each head, dims i and i + d/2 form a pair
 * rotated by angle pos * theta^(-2i/d). Tables are computed in float32 like transformers' default RoPE.
 */
final class Rope {
    private final float[] cos, sin; // [positions, half]
    private final int half;

    Rope(int headDim, double theta, int positions) {
        half = headDim / 2;
        cos = new float[positions * half];
        sin = new float[positions * half];
        for (int i = 0; i < half; i++) {
            float invFreq = 1.0f / (float) Math.pow(theta, (float) (2 * i) / headDim);
            for (int p = 0; p < positions; p++) {
                float angle = (float) p * invFreq;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    int positions() {
        return cos.length / Math.max(half, 1);
    }

    /** Rotates every head of the rows x[t] ([T, heads*headDim]) at positions start + t. */
    void apply(float[] x, int tokens, int heads, int start) {
        int headDim = 2 * half;
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
}
