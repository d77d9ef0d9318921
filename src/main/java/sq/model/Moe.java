package sq.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One layer's mixture-of-experts parameters. The router and the shared expert's gate stay fp32 in every scheme (they
 * decide, they do not compute); the experts' and shared expert's linears are slots quantization swaps.
 *
 * @see MoeConfig
 */
public final class Moe {
    /** hidden -> experts (gpt-oss: with a bias) */
    public final Linear router;
    /** hidden -> 1, the shared expert's sigmoid gate, or null */
    public final Linear sharedGate;
    /** per expert e: gate[e], up[e] (hidden -> intermediate), down[e] (intermediate -> hidden) */
    public final Linear[] gate, up, down;
    /** the shared expert's gate, up and down, or null */
    public Linear sharedGateProj, sharedUp, sharedDown;
    /**
     * Per expert, a per-channel vector that multiplies the expert's input rows as they are gathered (per-expert
     * smoothing's 1/s_e: the norm output is shared, so each expert's own factor is applied on its own copy), or null.
     */
    public final float[][] inputScale;
    /** The same for the shared expert, or null. */
    public final float[] sharedInputScale;

    public Moe(Linear router, Linear sharedGate, Linear[] gate, Linear[] up, Linear[] down, Linear sharedGateProj,
               Linear sharedUp, Linear sharedDown, float[][] inputScale, float[] sharedInputScale) {
        this.router = router;
        this.sharedGate = sharedGate;
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.sharedGateProj = sharedGateProj;
        this.sharedUp = sharedUp;
        this.sharedDown = sharedDown;
        this.inputScale = inputScale;
        this.sharedInputScale = sharedInputScale;
    }

    public int experts() {
        return gate.length;
    }

    /** The quantizable linears: every expert's gate, up, down in expert order, then the shared expert's. */
    public List<Linear> linears() {
        List<Linear> l = new ArrayList<>(3 * gate.length + 3);
        for (int e = 0; e < gate.length; e++) {
            l.add(gate[e]);
            l.add(up[e]);
            l.add(down[e]);
        }
        if (sharedGateProj != null) {
            l.add(sharedGateProj);
            l.add(sharedUp);
            l.add(sharedDown);
        }
        return l;
    }

    /** Replaces every quantizable linear in place (router and shared gate untouched). */
    public void replaceLinears(UnaryOperator<Linear> f) {
        for (int e = 0; e < gate.length; e++) {
            gate[e] = f.apply(gate[e]);
            up[e] = f.apply(up[e]);
            down[e] = f.apply(down[e]);
        }
        if (sharedGateProj != null) {
            sharedGateProj = f.apply(sharedGateProj);
            sharedUp = f.apply(sharedUp);
            sharedDown = f.apply(sharedDown);
        }
    }

    /** A copy with every quantizable linear through f (router and shared gate kept). */
    public Moe map(UnaryOperator<Linear> f) {
        Moe m = with(router, sharedGate, inputScale, sharedInputScale);
        m.replaceLinears(f);
        return m;
    }

    /** A copy (fresh expert arrays, same linears) with another router, shared gate and input scales. */
    public Moe with(Linear router, Linear sharedGate, float[][] inputScale, float[] sharedInputScale) {
        return new Moe(router, sharedGate, gate.clone(), up.clone(), down.clone(), sharedGateProj, sharedUp, sharedDown, inputScale,
                sharedInputScale);
    }
}
