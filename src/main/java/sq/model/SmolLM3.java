package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.util.List;

/** SmolLM3: Llama layout where the layers marked 0 in no_rope_layers use no positional encoding at all (NoPE). */
public final class SmolLM3 extends LlamaFamily {
    @Override
    public List<String> hfClasses() {
        return List.of("SmolLM3ForCausalLM");
    }

    @Override
    void variant(ConfigReader r, Block.Builder b, int hidden, int headDim, int layers, int maxPositions) {
        r.node("no_rope_layer_interval"); // what no_rope_layers was made from; the list is what transformers reads
        JsonNode list = r.node("no_rope_layers");
        if (list == null) return;
        if (!list.isArray() || list.size() != layers)
            throw InputException.of(r.file(), "'no_rope_layers' must have one 0/1 entry per layer (" + layers + "), got " + list);
        b.ropeLayers = new boolean[layers];
        for (int l = 0; l < layers; l++) {
            int v = list.get(l).asInt(-1);
            if (v != 0 && v != 1) throw InputException.of(r.file(), "'no_rope_layers' entry " + l + " must be 0 or 1, got " + list.get(l));
            b.ropeLayers[l] = v == 1;
        }
    }
}
