package sq.model;

import java.util.List;

/**
 * OLMo 2: norms after the attention and the MLP, none before them (h += norm(attn(h))), and RMSNorm over the whole q
 * and k projections. With no norm in front of its linears, SmoothQuant has nothing to fold into.
 */
public final class Olmo2 extends LlamaFamily {
    public Olmo2() {
        layout = Block.Layout.POST_NORM;
        qkNorm = Block.QkNorm.WHOLE;
    }

    @Override
    public List<String> hfClasses() {
        return List.of("Olmo2ForCausalLM");
    }
}
