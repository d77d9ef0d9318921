package sq.model;

/**
 * Hugging Face names of one layer's mixture: the router, each expert's gate/up/down (modules of their own, as Mixtral
 * and Qwen checkpoints hold them, or slices of fused 3-D tensors, as gpt-oss holds them), and the shared expert.
 *
 * @param expertPrefix     "...experts." : expert e's linears are expertPrefix + e + "." + gate/up/down
 * @param gate             per-expert linear suffixes (w1 / w3 / w2 for Mixtral)
 * @param fusedGateUp      the [experts, hidden, 2 intermediate] tensor, gate and up interleaved per column (gpt-oss), or
 *                         null for per-expert tensors; its bias is fusedGateUp + "_bias" where present
 * @param fusedDown        the [experts, intermediate, hidden] tensor (with fusedDown + "_bias"), or null
 * @param shared           the shared expert's module prefix ("...shared_expert"), or null
 * @param sharedGate       the shared expert's sigmoid gate (a linear hidden -> 1), or null
 */
public record MoeNames(String router, String expertPrefix, String gate, String up, String down, String fusedGateUp,
                       String fusedDown, String shared, String sharedGate) {

    public String expertGate(int e) {
        return expertPrefix + e + "." + gate;
    }

    public String expertUp(int e) {
        return expertPrefix + e + "." + up;
    }

    public String expertDown(int e) {
        return expertPrefix + e + "." + down;
    }

    public boolean fused() {
        return fusedGateUp != null;
    }

    public String sharedGateProj() {
        return shared + ".gate_proj";
    }

    public String sharedUpProj() {
        return shared + ".up_proj";
    }

    public String sharedDownProj() {
        return shared + ".down_proj";
    }
}
