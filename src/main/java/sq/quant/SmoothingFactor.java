package sq.quant;

/**
 * The smoothing factor of SmoothQuant (Eq. 4 of the paper), computed exactly as the reference smooth.py does,
 * in float32:
 * <pre>
 *   w_j = max(max over the group's linears of max_i |W[i, j]|, 1e-5)
 *   s_j = max(act_j^alpha / w_j^(1 - alpha), 1e-5)
 * </pre>
 * act_j is max|X_j| over the calibration tokens. Dividing channel j of the activation by s_j and multiplying
 * input column j of the weights by s_j leaves X W^T unchanged while moving quantization difficulty to the weights.
 */
public final class SmoothingFactor {
    static final float MIN = 1e-5f;

    private SmoothingFactor() {
    }

    /**
     * @param act     per-channel max|x| [in]
     * @param weights the group's weight matrices, each [out_k, in] row-major
     */
    public static float[] compute(float[] act, float alpha, float[]... weights) {
        return fromScales(act, alpha, weightScales(act.length, weights));
    }

    /** s from per-channel max|x| act and per-column max|W| w (already clamped), both [in]. */
    static float[] fromScales(float[] act, float alpha, float[] w) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        float[] s = new float[act.length];
        for (int j = 0; j < act.length; j++)
            s[j] = Math.max((float) Math.pow(act[j], alpha) / (float) Math.pow(w[j], 1 - alpha), MIN);
        return s;
    }

    /**
     * The factor of a v_proj -> o_proj group under grouped-query attention: o_proj's input column h * headDim + d reads
     * row (h / headsPerKv) * headDim + d of V, so the columns of the headsPerKv query heads sharing a key/value head
     * take one factor, from the max of their act and of their weight columns. Returns s expanded to o_proj's columns
     * [heads * headDim]; {@link #kvRow} maps a column to its row of V.
     */
    public static float[] grouped(float[] act, float alpha, float[] weight, int headDim, int headsPerKv) {
        int in = act.length, kvWidth = in / headsPerKv;
        float[] w = weightScales(in, weight);
        float[] actKv = new float[kvWidth], wKv = new float[kvWidth];
        for (int j = 0; j < in; j++) {
            int r = kvRow(j, headDim, headsPerKv);
            actKv[r] = Math.max(actKv[r], act[j]);
            wKv[r] = Math.max(wKv[r], w[j]);
        }
        float[] sKv = fromScales(actKv, alpha, wKv), s = new float[in];
        for (int j = 0; j < in; j++) s[j] = sKv[kvRow(j, headDim, headsPerKv)];
        return s;
    }

    /** The row of V that o_proj's input column j reads. */
    public static int kvRow(int j, int headDim, int headsPerKv) {
        return j / (headDim * headsPerKv) * headDim + j % headDim;
    }

    /** max over all rows of all matrices of |W[:, j]|, clamped below at 1e-5. */
    static float[] weightScales(int in, float[]... weights) {
        float[] w = new float[in];
        for (float[] m : weights) {
            if (m.length % in != 0) throw new IllegalArgumentException("weight length " + m.length + " is not a multiple of " + in);
            for (int r = 0, rows = m.length / in; r < rows; r++)
                for (int j = 0; j < in; j++) w[j] = Math.max(w[j], Math.abs(m[r * in + j]));
        }
        for (int j = 0; j < in; j++) w[j] = Math.max(w[j], MIN);
        return w;
    }
}
