package sq.model;

/**
 * One decoder layer's parameters. qNorm/kNorm only for Qwen3; gate null for OPT (up = fc1, down = fc2).
 * Linears are mutable slots so quantization can swap an implementation in.
 */
public final class Layer {
    public final NormWeights attnNorm, mlpNorm, qNorm, kNorm;
    public Linear q, k, v, o, gate, up, down;

    public Layer(NormWeights attnNorm, NormWeights qNorm, NormWeights kNorm, NormWeights mlpNorm,
                 Linear q, Linear k, Linear v, Linear o, Linear gate, Linear up, Linear down) {
        this.attnNorm = attnNorm;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.mlpNorm = mlpNorm;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    /** Replaces every linear slot by f of it, in q, k, v, o, gate, up, down order (an absent gate stays null). */
    public void replaceLinears(java.util.function.UnaryOperator<Linear> f) {
        q = f.apply(q);
        k = f.apply(k);
        v = f.apply(v);
        o = f.apply(o);
        gate = gate == null ? null : f.apply(gate);
        up = f.apply(up);
        down = f.apply(down);
    }
}
