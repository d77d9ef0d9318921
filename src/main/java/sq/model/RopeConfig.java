package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

/**
 * Where config.json keeps RoPE's parameters: transformers 5's "rope_parameters" (rope_type, rope_theta, factors,
 * partial_rotary_factor), or the older "rope_scaling" object beside a top-level "rope_theta" and
 * "partial_rotary_factor" / "rotary_pct".
 */
final class RopeConfig {
    private RopeConfig() {
    }

    /** The parameters object (null: default RoPE), marking every RoPE key of the config read. */
    static JsonNode params(ConfigReader r) {
        JsonNode p = r.node("rope_parameters");
        JsonNode legacy = r.node("rope_scaling");
        r.node("rope_theta");
        r.node("original_max_position_embeddings");
        if (p == null) p = legacy;
        if (p != null && !p.isObject()) throw InputException.of(r.file(), "'rope_parameters' must be an object, got " + p);
        return p;
    }

    /** head_dim times the partial rotary factor (rope_parameters, then the top level; GPT-NeoX's older rotary_pct). */
    static int rotaryDim(ConfigReader r, JsonNode params, int headDim) {
        double f = r.number("partial_rotary_factor", r.number("rotary_pct", 1.0));
        JsonNode p = params == null ? null : params.get("partial_rotary_factor");
        if (p != null && !p.isNull()) {
            if (!p.isNumber()) throw InputException.of(r.file(), "'rope_parameters.partial_rotary_factor' must be a number, got " + p);
            f = p.asDouble();
        }
        if (!(f > 0 && f <= 1)) throw InputException.of(r.file(), "partial_rotary_factor " + f + " must be in (0, 1]");
        return (int) (headDim * f); // transformers: int(head_dim * factor)
    }

    static RopeScaling scaling(ConfigReader r, JsonNode params, int rotaryDim, int maxPositions) {
        return RopeScaling.parse(params, r.root(), r.file(), rotaryDim, maxPositions);
    }

    /** Partial rotary dims and the RoPE scaling of the config into the block (the usual case: one RoPE for all layers). */
    static void apply(ConfigReader r, Block.Builder b, int headDim, int maxPositions) {
        JsonNode params = params(r);
        b.rotaryDim = rotaryDim(r, params, headDim);
        b.rope = scaling(r, params, b.rotaryDim, maxPositions);
    }
}
