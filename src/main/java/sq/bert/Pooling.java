package sq.bert;

import sq.io.InputException;

import java.util.Locale;

/** How token states become one sentence embedding; both end with L2 normalization, as the models are used. */
public enum Pooling {
    /** Mean over the tokens ([CLS] and [SEP] included), as sentence-transformers' all-MiniLM-L6-v2. */
    MEAN,
    /** The [CLS] token's state, as bge. */
    CLS;

    /** Pools hidden [T, H] into an L2-normalized [H]. */
    public float[] pool(float[] hidden, int tokens, int H) {
        float[] e = new float[H];
        if (this == CLS) {
            System.arraycopy(hidden, 0, e, 0, H);
        } else {
            double[] acc = new double[H];
            for (int t = 0; t < tokens; t++)
                for (int j = 0; j < H; j++) acc[j] += hidden[t * H + j];
            for (int j = 0; j < H; j++) e[j] = (float) (acc[j] / tokens);
        }
        return normalize(e);
    }

    /** In place; a zero vector stays zero. */
    public static float[] normalize(float[] e) {
        double ss = 0;
        for (float v : e) ss += (double) v * v;
        double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        for (int j = 0; j < e.length; j++) e[j] = (float) (e[j] * inv);
        return e;
    }

    public static Pooling parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "mean" -> MEAN;
            case "cls" -> CLS;
            default -> throw new InputException("unknown pooling '" + s + "' (give mean or cls)");
        };
    }
}
