package sq.model;

import java.util.List;

/** Qwen3: Llama layout plus per-head RMSNorm on q and k (q_norm, k_norm) before RoPE; explicit head_dim. */
public final class Qwen3 extends LlamaFamily {
    public Qwen3() {
        qkNorm = Block.QkNorm.PER_HEAD;
    }

    @Override
    public List<String> hfClasses() {
        return List.of("Qwen3ForCausalLM");
    }
}
