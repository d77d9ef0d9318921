package sq.model;

import java.util.List;

/** Llama (also TinyLlama, SmolLM, and Mistral without sliding window): biases only where the checkpoint has them. */
public final class Llama extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("LlamaForCausalLM", "MistralForCausalLM");
    }
}
