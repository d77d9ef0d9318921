package sq.model;

/** Softmax over the first n entries, in float32 with the max subtracted (as torch.softmax). */
final class Softmax {
    private Softmax() {
    }

    static void inPlace(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[j]);
        float sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) s[j] *= inv;
    }
}
