package sq.inspect;

import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.NormWeights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The outlier twin of a model, as the fixtures' tools/inject_outliers.py makes it: in every layer, a few hidden
 * channels c of the norm gain (and bias) that feeds q/k/v are multiplied by a power of two kAttn, those of the
 * norm that feeds gate/up (fc1) by kMlp, and the matching input columns of those linears are divided by the same
 * factor. Scaling by a power of two is exact in float32 (barring overflow and subnormals), so the twin computes the
 * same function bit for bit, while its activations now carry k-times outlier channels sitting in the norm gain,
 * where real LLMs have theirs (the paper's Figure 4 premise). For norms of the form x * gain (+ bias): Llama, OPT, and
 * the mixtures (Mixtral, Qwen MoE), whose MLP norm also feeds the router and every expert's gate/up.
 *
 * @param channels the hidden channels made outliers
 */
public record OutlierTwin(Model model, int[] channels, float kAttn, float kMlp) {

    public static OutlierTwin of(Model m, int[] channels, float kAttn, float kMlp) {
        for (float k : new float[]{kAttn, kMlp})
            if (!(k > 0 && Float.isFinite(k) && Math.getExponent(k) >= Float.MIN_EXPONENT && (Float.floatToIntBits(k) & 0x7fffff) == 0))
                throw new IllegalArgumentException("outlier factor " + k + " is not a power of two: the twin would not be exact");
        int hidden = m.config().hidden();
        for (int c : channels)
            if (c < 0 || c >= hidden) throw new IllegalArgumentException("channel " + c + " outside 0.." + (hidden - 1));
        int[] ch = channels.clone();
        List<Layer> layers = new ArrayList<>();
        for (Layer l : m.layers()) {
            // the norm feeding the MLP also feeds a mixture's router, every expert's gate/up and the shared expert
            List<Linear> attn = Arrays.asList(l.q, l.k, l.v), mlp = new ArrayList<>(Arrays.asList(l.gate, l.up));
            if (l.moe != null) {
                mlp.addAll(Arrays.asList(l.moe.gate));
                mlp.addAll(Arrays.asList(l.moe.up));
                mlp.addAll(Arrays.asList(l.moe.sharedGateProj, l.moe.sharedUp));
            }
            Layer t = l.map(n -> n == l.attnNorm ? scale(n, ch, kAttn) : n == l.mlpNorm ? scale(n, ch, kMlp) : n,
                    x -> has(attn, x) ? columns(x, ch, kAttn) : has(mlp, x) ? columns(x, ch, kMlp) : x);
            if (l.moe != null)
                t.moe = t.moe.with(columns(l.moe.router, ch, kMlp), l.moe.sharedGate == null ? null : columns(l.moe.sharedGate, ch, kMlp),
                        l.moe.inputScale, l.moe.sharedInputScale);
            layers.add(t);
        }
        return new OutlierTwin(new Model(m.config(), m.embed(), m.positions(), layers, m.finalNorm(), m.lmHead()), ch, kAttn, kMlp);
    }

    @Override
    public int[] channels() {
        return channels.clone();
    }

    /** e.g. "channels 5, 29, 46 of every input norm x32 (attention) / x16 (MLP)". */
    public String describe() {
        return "hidden channels " + String.join(", ", Arrays.stream(channels).mapToObj(Integer::toString).toList())
                + String.format(" of every layer's attention-input norm x%.0f and MLP-input norm x%.0f", kAttn, kMlp);
    }

    private static boolean has(List<Linear> list, Linear x) {
        for (Linear y : list) if (y == x) return true;
        return false;
    }

    private static NormWeights scale(NormWeights n, int[] channels, float k) {
        float[] w = n.weight().clone();
        float[] b = n.bias() == null ? null : n.bias().clone();
        for (int c : channels) {
            w[c] *= k;
            if (b != null) b[c] *= k;
        }
        return new NormWeights(n.name(), w, b);
    }

    /** fc [out, in] with input columns c divided by k. */
    private static Linear columns(Linear l, int[] channels, float k) {
        if (!(l instanceof DenseLinear d)) throw new IllegalArgumentException(l.name() + ": the twin is built from an fp32 model");
        float[] w = d.weight().clone();
        for (int r = 0; r < d.out(); r++) for (int c : channels) w[r * d.in() + c] /= k;
        return new DenseLinear(d.name(), w, d.bias(), d.in(), d.out());
    }
}
