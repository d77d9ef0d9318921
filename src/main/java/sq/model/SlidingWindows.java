package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

/**
 * Each layer's sliding window from config.json: "layer_types" (transformers 5: sliding_attention / full_attention
 * per layer) with "sliding_window"; before it, "sliding_window" applied to every layer unless "use_sliding_window" is
 * false, from "max_window_layers" on where that is given (older Qwen2 configs).
 */
final class SlidingWindows {
    private SlidingWindows() {
    }

    static int[] of(ConfigReader r, int layers) {
        int[] w = new int[layers];
        JsonNode types = r.node("layer_types");
        JsonNode sw = r.node("sliding_window");
        boolean use = r.bool("use_sliding_window", true);
        JsonNode maxWindowLayers = r.node("max_window_layers");
        if (types != null) {
            if (!types.isArray() || types.size() != layers)
                throw InputException.of(r.file(), "'layer_types' must list one type per layer (" + layers + "), got " + types);
            for (int l = 0; l < layers; l++) {
                String t = types.get(l).asText();
                switch (t) {
                    case "full_attention" -> w[l] = 0;
                    case "sliding_attention" -> w[l] = window(r, sw);
                    default -> throw InputException.of(r.file(), "'layer_types' entry '" + t + "' (layer " + l + ") is not supported");
                }
            }
        } else if (sw != null && use) {
            int from = maxWindowLayers == null ? 0 : r.integer("max_window_layers");
            for (int l = from; l < layers; l++) w[l] = window(r, sw);
        }
        return w;
    }

    private static int window(ConfigReader r, JsonNode sw) {
        if (sw == null || !sw.canConvertToInt() || sw.asInt() <= 0)
            throw InputException.of(r.file(), "'sliding_window' must be a positive integer for sliding_attention layers, got " + sw);
        return sw.asInt();
    }
}
