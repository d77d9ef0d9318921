package sq.model;

import java.util.List;

/**
 * Phi-3 and Phi-4-mini: Llama layout with q/k/v fused into qkv_proj ([q | k | v]) and gate/up into gate_up_proj
 * ([gate | up]); partial rotary and longrope from the config.
 */
public final class Phi3 extends LlamaFamily {
    public Phi3() {
        fused = true;
    }

    @Override
    public List<String> hfClasses() {
        return List.of("Phi3ForCausalLM");
    }
}
