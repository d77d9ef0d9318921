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
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        int in = act.length;
        float[] w = weightScales(in, weights);
        float[] s = new float[in];
        for (int j = 0; j < in; j++)
            s[j] = Math.max((float) Math.pow(act[j], alpha) / (float) Math.pow(w[j], 1 - alpha), MIN);
        return s;
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
