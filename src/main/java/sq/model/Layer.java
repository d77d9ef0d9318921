package sq.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One decoder layer's parameters, slots as in {@link LayerNames} (absent ones null). Linears are mutable slots so
 * quantization can swap an implementation in.
 */
public final class Layer {
    public final NormWeights attnNorm, postAttnNorm, mlpNorm, postMlpNorm, qNorm, kNorm;
    public Linear q, k, v, qkv, o, gate, up, gateUp, down;
    /** The mixture of experts in place of gate/up/down (MoE layers), or null. */
    public Moe moe;
    /** Per query head, the attention sink logit (gpt-oss), or null. */
    public float[] sinks;

    public Layer(NormWeights attnNorm, NormWeights postAttnNorm, NormWeights mlpNorm, NormWeights postMlpNorm,
                 NormWeights qNorm, NormWeights kNorm, Linear q, Linear k, Linear v, Linear qkv, Linear o, Linear gate,
                 Linear up, Linear gateUp, Linear down) {
        this.attnNorm = attnNorm;
        this.postAttnNorm = postAttnNorm;
        this.mlpNorm = mlpNorm;
        this.postMlpNorm = postMlpNorm;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.q = q;
        this.k = k;
        this.v = v;
        this.qkv = qkv;
        this.o = o;
        this.gate = gate;
        this.up = up;
        this.gateUp = gateUp;
        this.down = down;
    }

    /** A pre-norm layer with separate q, k, v (gate null for an ungated MLP). */
    public Layer(NormWeights attnNorm, NormWeights qNorm, NormWeights kNorm, NormWeights mlpNorm,
                 Linear q, Linear k, Linear v, Linear o, Linear gate, Linear up, Linear down) {
        this(attnNorm, null, mlpNorm, null, qNorm, kNorm, q, k, v, null, o, gate, up, null, down);
    }

    /**
     * The linears present, in execution order (q, k, v, qkv, o, gate, up, gateUp, down, then the experts': see
     * {@link Moe#linears}; the router is not among them: it stays fp32).
     */
    public List<Linear> linears() {
        List<Linear> l = new ArrayList<>(9);
        for (Linear x : new Linear[]{q, k, v, qkv, o, gate, up, gateUp, down}) if (x != null) l.add(x);
        if (moe != null) l.addAll(moe.linears());
        return l;
    }

    /** The norms present. */
    public List<NormWeights> norms() {
        List<NormWeights> l = new ArrayList<>(6);
        for (NormWeights n : new NormWeights[]{attnNorm, postAttnNorm, mlpNorm, postMlpNorm, qNorm, kNorm}) if (n != null) l.add(n);
        return l;
    }

    /** The linear named name (its Hugging Face module name). */
    public Linear linear(String name) {
        for (Linear x : linears()) if (x.name().equals(name)) return x;
        throw new IllegalStateException("layer has no linear '" + name + "'");
    }

    /** The norm named name. */
    public NormWeights norm(String name) {
        for (NormWeights n : norms()) if (n.name().equals(name)) return n;
        throw new IllegalStateException("layer has no norm '" + name + "'");
    }

    /** Replaces every linear slot present by f of it, in execution order. */
    public void replaceLinears(UnaryOperator<Linear> f) {
        q = apply(f, q);
        k = apply(f, k);
        v = apply(f, v);
        qkv = apply(f, qkv);
        o = apply(f, o);
        gate = apply(f, gate);
        up = apply(f, up);
        gateUp = apply(f, gateUp);
        down = apply(f, down);
        if (moe != null) moe.replaceLinears(f);
    }

    /** A new layer with every norm through norms and every linear through linears (absent ones stay absent). */
    public Layer map(UnaryOperator<NormWeights> norms, UnaryOperator<Linear> linears) {
        Layer l = new Layer(apply(norms, attnNorm), apply(norms, postAttnNorm), apply(norms, mlpNorm), apply(norms, postMlpNorm),
                apply(norms, qNorm), apply(norms, kNorm), apply(linears, q), apply(linears, k), apply(linears, v),
                apply(linears, qkv), apply(linears, o), apply(linears, gate), apply(linears, up), apply(linears, gateUp),
                apply(linears, down));
        l.moe = moe == null ? null : moe.map(linears);
        l.sinks = sinks;
        return l;
    }

    private static <T> T apply(UnaryOperator<T> f, T x) {
        return x == null ? null : f.apply(x);
    }
}
