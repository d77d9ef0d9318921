package sq.model;

import java.util.List;

/**
 * Llama 1-3 (also TinyLlama, SmolLM) and Mistral (sliding window from its config): biases only where the checkpoint
 * has them; RoPE scaling as the config says (llama3, linear, yarn, ...).
 */
public final class Llama extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("LlamaForCausalLM", "MistralForCausalLM");
    }
}
