package sq.quant;

import sq.io.InputException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A W8A8 quantization scheme: weight and activation granularity, and whether the inputs of the attention BMMs
 * (the q/k/v projection outputs) are quantized too.
 *
 * @param groupSize inputs per weight scale for {@link WeightGranularity#PER_GROUP}, else 0
 */
public record Scheme(String name, WeightGranularity weights, int groupSize, ActivationGranularity activations, boolean bmm,
                     String description) {

    /** The paper's presets (Table 2 of SmoothQuant) plus what vLLM serves. */
    public static final Map<String, Scheme> PRESETS = presets();

    private static Map<String, Scheme> presets() {
        Map<String, Scheme> m = new LinkedHashMap<>();
        for (Scheme s : List.of(
                new Scheme("O1", WeightGranularity.PER_TENSOR, 0, ActivationGranularity.PER_TOKEN, true,
                        "paper O1: per-tensor weights, per-token dynamic activations"),
                new Scheme("O2", WeightGranularity.PER_TENSOR, 0, ActivationGranularity.PER_TENSOR_DYNAMIC, true,
                        "paper O2: per-tensor weights, per-tensor dynamic activations"),
                new Scheme("O3", WeightGranularity.PER_TENSOR, 0, ActivationGranularity.PER_TENSOR_STATIC, true,
                        "paper O3: per-tensor weights, per-tensor static (calibrated) activations"),
                new Scheme("w8a8", WeightGranularity.PER_CHANNEL, 0, ActivationGranularity.PER_TOKEN, true,
                        "per-channel weights, per-token dynamic activations (what vLLM serves)")))
            m.put(s.name.toLowerCase(Locale.ROOT), s);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** ZeroQuant-style baseline: group-wise weights (g = 128), per-token activations. */
    public static Scheme zeroQuant(int groupSize) {
        return new Scheme("zeroquant", WeightGranularity.PER_GROUP, groupSize, ActivationGranularity.PER_TOKEN, true,
                "ZeroQuant-style: group-wise weights (g=" + groupSize + "), per-token activations");
    }

    /** Preset by name (case-insensitive). */
    public static Scheme parse(String name) {
        Scheme s = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) throw new InputException("unknown scheme '" + name + "'; known: " + String.join(", ", presetNames()));
        return s;
    }

    public static List<String> presetNames() {
        return PRESETS.values().stream().map(Scheme::name).toList();
    }
}
