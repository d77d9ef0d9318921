package sq.model;

import java.util.List;

/** Qwen2 (and Qwen2.5): Llama layout with q/k/v biases (loaded from the checkpoint). */
public final class Qwen2 extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("Qwen2ForCausalLM");
    }
}
