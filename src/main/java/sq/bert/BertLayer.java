package sq.bert;

import sq.model.Linear;
import sq.model.NormWeights;
import sq.quant.ActivationGranularity;

/**
 * One post-LN encoder block:
 * <pre>
 *   a  = attnNorm(x + o(attention(q(x), k(x), v(x))))
 *   x' = outNorm(a + fc2(act(fc1(a))))
 * </pre>
 * The *Smooth arrays, when set, multiply the input of the named linears channel by channel (1/s of SmoothQuant) on
 * its way into them, while the residual keeps the unscaled values: smoothing a post-LN block this way stays exact,
 * because the LayerNorm output that feeds q/k/v (or fc1) is also the residual. Linears are mutable slots, like
 * {@link sq.model.Layer}, so quantization can swap an implementation in.
 */
public final class BertLayer {
    public Linear q, k, v, o, fc1, fc2;
    public final NormWeights attnNorm, outNorm;
    /** Multipliers of the q/k/v input (shared), the o input, the fc1 input, the fc2 input; null: none. */
    public float[] qkvSmooth, oSmooth, fc1Smooth, fc2Smooth;
    /**
     * Int8 round trip of the q/k/v outputs (the attention BMM inputs) done by the encoder, vectorized, when the
     * linears do not do it themselves; null: none. bmmStaticMax: calibrated max|y| of q, k, v for static scales.
     */
    public ActivationGranularity bmmQuant;
    public float[] bmmStaticMax;

    public BertLayer(Linear q, Linear k, Linear v, Linear o, NormWeights attnNorm, Linear fc1, Linear fc2, NormWeights outNorm) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.attnNorm = attnNorm;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.outNorm = outNorm;
    }

    /** A copy with the same linears and smoothing factors (the arrays are shared; they are never written). */
    public BertLayer copy() {
        BertLayer c = new BertLayer(q, k, v, o, attnNorm, fc1, fc2, outNorm);
        c.qkvSmooth = qkvSmooth;
        c.oSmooth = oSmooth;
        c.fc1Smooth = fc1Smooth;
        c.fc2Smooth = fc2Smooth;
        c.bmmQuant = bmmQuant;
        c.bmmStaticMax = bmmStaticMax;
        return c;
    }

    public Linear[] linears() {
        return new Linear[]{q, k, v, o, fc1, fc2};
    }
}
