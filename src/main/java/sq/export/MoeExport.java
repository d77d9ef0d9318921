package sq.export;

import sq.io.InputException;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.Model;
import sq.model.Moe;

import java.util.ArrayList;
import java.util.List;

/**
 * What compressed-tensors needs beyond the linears for a mixture of experts, as vLLM loads it: the experts under their
 * per-expert names (Mixtral's w1/w2/w3, Qwen's and gpt-oss's gate/up/down_proj), int8 like every linear; the router
 * and Qwen2-MoE's shared_expert_gate in floating point and listed in `ignore`.
 */
final class MoeExport {
    private MoeExport() {
    }

    /** The router (and the shared expert's gate) of a layer: written in float. */
    static List<Linear> gates(Moe m) {
        return m.sharedGate == null ? List.of(m.router) : List.of(m.router, m.sharedGate);
    }

    /**
     * Per-expert smoothing multiplies each expert's input by its own 1/s_e at run time, which compressed-tensors cannot
     * express (one input per expert block): refused rather than written wrong.
     */
    static void refuseUnloadable(Model m) {
        for (Layer layer : m.layers()) refuseUnloadable(layer);
    }

    /** Same, for one layer (the streamed writer's check). */
    static void refuseUnloadable(Layer layer) {
        if (layer.moe != null && (layer.moe.inputScale != null || layer.moe.sharedInputScale != null))
            throw new InputException("--moe-smoothing per-expert cannot be exported to compressed-tensors (vLLM has no per-expert "
                        + "input vector); use reference or attention, or run it in sq's int8 engine");
    }
}
