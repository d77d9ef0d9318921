package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RoPE inverse frequencies and the cos/sin scaling of every rope type transformers 5 knows for decoders
 * (modeling_rope_utils.py): default, linear, dynamic (NTK), yarn, longrope and llama3, with the same float32 rounding.
 *
 * <p>Precision, as transformers does it: the exponent {@code e_i = (float) (2i) / (float) dim} and everything on
 * tensors is float32 (a Python scalar that meets a float32 tensor is first rounded to float32); the scalars derived from
 * the config (YaRN's correction range, the attention factors, llama3's band edges) are double. {@code x / t} with a
 * Python scalar x is {@code reciprocal(t) * x} in torch, which llama3's wavelength depends on.
 *
 * <p>How the caller builds cos/sin so that they match transformers' rotary embedding forward (freqs =
 * inv_freq.float() @ positions.float() in float32 with autocast off, emb = cat(freqs, freqs),
 * cos = emb.cos() * attention_scaling): for position p and pair i of the rotate-half layout,
 * {@code float angle = (float) p * invFreq[i]; cos = (float) Math.cos(angle) * attentionFactor;} and the same for sin;
 * dims i and i + dim/2 share that angle. The product is float32 and the cosine is taken of the float angle.
 *
 * <p>Length dependence (transformers' dynamic_rope_update, with seqLen = max(position_ids) + 1 of one forward):
 * longrope takes the long factors when seqLen &gt; original_max_position_embeddings, else the short ones (the attention
 * factor never changes); dynamic rescales the base for seqLen &gt; max_position_embeddings. Transformers keeps a
 * dynamic module's frequencies of the longest length seen until a forward falls below max_position_embeddings again;
 * this class is stateless and gives the frequencies of the length asked for, which is what one forward from an empty
 * cache sees.
 */
public final class RopeScaling {
    /** The types, in the order error messages list them. */
    static final List<String> TYPES = List.of("default", "linear", "dynamic", "yarn", "longrope", "llama3");
    private static final Set<String> COMMON_KEYS = Set.of("rope_type", "type", "rope_theta", "partial_rotary_factor");
    /** Keys each type reads (besides the common ones). Dynamic's original_max_position_embeddings is read by no one
     * in transformers either (its code has a TODO for it), so it is accepted and has no effect there or here. */
    private static final Map<String, Set<String>> KEYS = Map.of(
            "default", Set.of(),
            "linear", Set.of("factor"),
            "dynamic", Set.of("factor", "original_max_position_embeddings"),
            "yarn", Set.of("factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow",
                    "mscale", "mscale_all_dim", "truncate"),
            "longrope", Set.of("short_factor", "long_factor", "factor", "attention_factor",
                    "original_max_position_embeddings"),
            "llama3", Set.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"));

    private final String type;
    private final double theta;
    private final int dim;
    private final float[] invFreq;        // [dim/2] default/linear/yarn/llama3; longrope short; dynamic up to maxPositions
    private final float[] longInvFreq;    // [dim/2] longrope only
    private final int switchLength;       // longrope: original_max_position_embeddings; dynamic: max_position_embeddings
    private final double factor;          // dynamic only
    private final float attention;

    private RopeScaling(String type, double theta, int dim, float[] invFreq, float[] longInvFreq, int switchLength,
                        double factor, double attention) {
        this.type = type;
        this.theta = theta;
        this.dim = dim;
        this.invFreq = invFreq;
        this.longInvFreq = longInvFreq;
        this.switchLength = switchLength;
        this.factor = factor;
        this.attention = (float) attention;
    }

    /**
     * Parses a rope parameters object: transformers 5's "rope_parameters" (with rope_type, rope_theta, factor, ...) or
     * the legacy "rope_scaling" object plus top-level "rope_theta" (config gives the top-level keys transformers reads
     * from the config: rope_theta, original_max_position_embeddings (which overrides the one inside params for llama3,
     * yarn and longrope, as transformers' standardize_rope_params does), partial_rotary_factor, head_dim, hidden_size,
     * num_attention_heads). params may be null (default rope with theta from config or 10000); config may be null.
     *
     * @param dim          the number of rotary dims (head_dim * partial_rotary_factor, truncated, even); where the config
     *                     or params name a partial_rotary_factor and the head size is known, dim must agree with it
     * @param maxPositions the model's max_position_embeddings (dynamic's threshold; yarn's and longrope's implicit
     *                     factor max_position_embeddings / original_max_position_embeddings; the default original)
     * @throws InputException naming file and field for unknown types, unread keys, missing or malformed fields
     */
    public static RopeScaling parse(JsonNode params, JsonNode config, Path file, int dim, int maxPositions) {
        Fields f = new Fields(params, config, file);
        if (params != null && !params.isNull() && !params.isObject())
            throw f.error("must be an object, got " + shorten(params));
        if (maxPositions <= 0) throw f.error("max_position_embeddings must be positive, got " + maxPositions);
        String type = f.type();
        if (!TYPES.contains(type))
            throw f.error("rope type '" + type + "' is not supported; supported: " + String.join(", ", TYPES));
        f.refuseUnread(type);
        if (dim <= 0 || dim % 2 != 0)
            throw f.error("the rotary dim (head_dim x partial_rotary_factor) must be positive and even, got " + dim);
        f.checkDim(dim);
        double theta = f.theta();
        int half = dim / 2;
        return switch (type) {
            case "default" -> new RopeScaling(type, theta, dim, defaultInvFreq(theta, dim), null, 0, 1, 1.0);
            case "linear" -> {
                double factor = f.positive("factor");
                float[] inv = defaultInvFreq(theta, dim);
                for (int i = 0; i < half; i++) inv[i] /= (float) factor; // inv_freq /= factor
                yield new RopeScaling(type, theta, dim, inv, null, 0, 1, 1.0);
            }
            case "dynamic" -> {
                if (dim == 2) throw f.error("dynamic rope needs a rotary dim above 2 (its exponent is dim / (dim - 2))");
                double factor = f.positive("factor");
                // at init transformers passes seq_len = max_position_embeddings: Python doubles, then rounded to float32
                double ratio = factor * maxPositions / maxPositions - (factor - 1);
                double base = theta * Math.pow(ratio, (double) dim / (dim - 2));
                yield new RopeScaling(type, theta, dim, defaultInvFreq(base, dim), null, maxPositions, factor, 1.0);
            }
            case "yarn" -> yarn(f, theta, dim, maxPositions);
            case "longrope" -> longrope(f, theta, dim, maxPositions);
            case "llama3" -> llama3(f, theta, dim, maxPositions);
            default -> throw new AssertionError(type);
        };
    }

    /** YaRN (Peng et al. 2023): per-pair blend of interpolated (inv/factor) and extrapolated frequencies. */
    private static RopeScaling yarn(Fields f, double theta, int dim, int maxPositions) {
        int original = f.originalMax(maxPositions);
        double factor = f.has("factor") ? f.positive("factor") : f.required("factor", (double) maxPositions / original);
        double attention;
        if (f.has("attention_factor")) attention = f.positive("attention_factor");
        else {
            double mscale = f.optional("mscale", 0), mscaleAllDim = f.optional("mscale_all_dim", 0);
            attention = mscale != 0 && mscaleAllDim != 0 ? mscale(factor, mscale) / mscale(factor, mscaleAllDim)
                    : mscale(factor, 1);
        }
        double betaFast = f.optional("beta_fast", 0), betaSlow = f.optional("beta_slow", 0);
        if (betaFast == 0) betaFast = 32; // transformers: get("beta_fast") or 32
        if (betaSlow == 0) betaSlow = 1;
        boolean truncate = f.bool("truncate", true);
        // correction range in double: the dims whose wavelengths turn beta_fast and beta_slow times in original positions
        double low = correctionDim(betaFast, dim, theta, original), high = correctionDim(betaSlow, dim, theta, original);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) high += 0.001; // transformers' guard against a zero-width ramp
        float lowF = (float) low, width = (float) (high - low), factorF = (float) factor;
        int half = dim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float ramp = Math.min(Math.max(((float) i - lowF) / width, 0f), 1f);
            float extrapolationFactor = 1f - ramp;
            float pos = powf((float) theta, exponent(i, dim));
            float extrapolation = 1f / pos, interpolation = 1f / (factorF * pos);
            inv[i] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return new RopeScaling("yarn", theta, dim, inv, null, 0, factor, attention);
    }

    /** LongRoPE (Ding et al. 2024, as in Phi-3): per-pair rescale factors, short up to the original length, long beyond. */
    private static RopeScaling longrope(Fields f, double theta, int dim, int maxPositions) {
        int original = f.originalMax(maxPositions);
        float[] shortFactor = f.factors("short_factor", dim / 2), longFactor = f.factors("long_factor", dim / 2);
        double factor = f.has("factor") ? f.positive("factor") : (double) maxPositions / original;
        double attention = f.has("attention_factor") ? f.positive("attention_factor")
                : factor <= 1 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        return new RopeScaling("longrope", theta, dim, longropeInvFreq(theta, dim, shortFactor),
                longropeInvFreq(theta, dim, longFactor), original, factor, attention);
    }

    private static float[] longropeInvFreq(double theta, int dim, float[] ext) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1f / (ext[i] * powf((float) theta, exponent(i, dim)));
        return inv;
    }

    /** Llama 3.1: wavelengths above original/low_freq_factor divided by factor, below original/high kept, smooth between. */
    private static RopeScaling llama3(Fields f, double theta, int dim, int maxPositions) {
        double factor = f.positive("factor");
        double lowFreq = f.finite("low_freq_factor"), highFreq = f.finite("high_freq_factor");
        if (!(highFreq > lowFreq))
            throw f.error("high_freq_factor (" + highFreq + ") must be greater than low_freq_factor (" + lowFreq + ")");
        int original = f.originalMax(maxPositions);
        float lowWavelen = (float) (original / lowFreq), highWavelen = (float) (original / highFreq);
        float factorF = (float) factor, twoPi = (float) (2 * Math.PI);
        float originalF = original, lowF = (float) lowFreq, bandF = (float) (highFreq - lowFreq);
        float[] inv = defaultInvFreq(theta, dim);
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (1f / inv[i]) * twoPi; // 2 * math.pi / inv_freq = reciprocal(inv_freq) * 2pi
            float scaled = wavelen > lowWavelen ? inv[i] / factorF : inv[i];
            if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                float smooth = ((1f / wavelen) * originalF - lowF) / bandF;
                scaled = (1f - smooth) * scaled / factorF + smooth * scaled;
            }
            inv[i] = scaled;
        }
        return new RopeScaling("llama3", theta, dim, inv, null, 0, factor, 1.0);
    }

    /** theta^(-2i/dim) as transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all float32. */
    private static float[] defaultInvFreq(double base, int dim) {
        float[] inv = new float[dim / 2];
        float b = (float) base;
        for (int i = 0; i < inv.length; i++) inv[i] = 1f / powf(b, exponent(i, dim));
        return inv;
    }

    private static float exponent(int i, int dim) {
        return (float) (2 * i) / (float) dim;
    }

    /** float32 pow (torch's float pow of float operands), via the correctly rounded double. */
    private static float powf(float base, float exponent) {
        return (float) Math.pow(base, exponent);
    }

    private static double correctionDim(double rotations, int dim, double base, int original) {
        return (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
    }

    private static double mscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** Default RoPE with base theta over dim rotary dims (llama2.c checkpoints, bench shapes, Gemma 3's older local base). */
    public static RopeScaling standard(double theta, int dim) {
        return parse(null, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("rope_theta", theta), null, dim, 1);
    }

    public String type() {
        return type;
    }

    public double theta() {
        return theta;
    }

    /**
     * inv_freq[dim/2] (float32, as transformers) used for a forward whose positions reach seqLen (= highest position
     * + 1): longrope: long factors when seqLen &gt; original_max_position_embeddings, else short; dynamic: NTK-rescaled
     * base when seqLen &gt; max_position_embeddings; the other types ignore seqLen. A fresh array.
     */
    public float[] invFreq(int seqLen) {
        if (seqLen <= 0) throw new IllegalArgumentException("seqLen must be positive, got " + seqLen);
        if (longInvFreq != null) return (seqLen > switchLength ? longInvFreq : invFreq).clone();
        if (type.equals("dynamic") && seqLen > switchLength) return dynamicInvFreq(seqLen);
        return invFreq.clone();
    }

    /**
     * Dynamic NTK growth, as dynamic_rope_update calls it with seq_len a torch int64 scalar: the ratio and the new
     * base are float32 tensor arithmetic; the power dim/(dim-2) is a Python double applied to the float32 value.
     */
    private float[] dynamicInvFreq(int seqLen) {
        float ratio = (float) factor * (float) seqLen;
        ratio = ratio / (float) switchLength;
        ratio = ratio - (float) (factor - 1);
        float scale = (float) Math.pow(ratio, (double) dim / (dim - 2));
        return defaultInvFreq((float) theta * scale, dim);
    }

    /**
     * The factor that multiplies cos and sin (transformers' attention_scaling): yarn: attention_factor, else
     * (0.1 mscale ln(factor) + 1) / (0.1 mscale_all_dim ln(factor) + 1) when both mscales are given, else
     * 0.1 ln(factor) + 1 (1 for factor &lt;= 1); longrope: attention_factor, else sqrt(1 + ln(factor) / ln(original))
     * (1 for factor &lt;= 1); 1 otherwise. The same for every seqLen in transformers (longrope's switch keeps it).
     */
    public float attentionFactor(int seqLen) {
        if (seqLen <= 0) throw new IllegalArgumentException("seqLen must be positive, got " + seqLen);
        return attention;
    }

    /** True when invFreq depends on seqLen (longrope, dynamic). */
    public boolean dependsOnLength() {
        return type.equals("longrope") || type.equals("dynamic");
    }

    @Override
    public String toString() {
        return "RopeScaling[" + type + ", theta " + theta + ", dim " + dim + ", attention " + attention + "]";
    }

    private static String shorten(JsonNode v) {
        String s = v.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** Reads the fields of one rope object, with errors that name the file and the field. */
    private static final class Fields {
        private final JsonNode params, config;
        private final Path file;
        private final String label;

        Fields(JsonNode params, JsonNode config, Path file) {
            this.params = params == null || params.isNull() ? null : params;
            this.config = config == null || !config.isObject() ? null : config;
            this.file = file;
            boolean legacy = this.config != null && this.params != null && this.config.get("rope_scaling") == this.params;
            this.label = legacy ? "rope_scaling" : "rope_parameters";
        }

        InputException error(String problem) {
            return InputException.of(file, label + ": " + problem);
        }

        private JsonNode get(String key) {
            JsonNode v = params == null ? null : params.get(key);
            return v == null || v.isNull() ? null : v;
        }

        private JsonNode top(String key) {
            JsonNode v = config == null ? null : config.get(key);
            return v == null || v.isNull() ? null : v;
        }

        boolean has(String key) {
            return get(key) != null;
        }

        /** rope_type, else the legacy "type", else default. */
        String type() {
            JsonNode v = get("rope_type");
            String key = "rope_type";
            if (v == null) {
                v = get("type");
                key = "type";
            }
            if (v == null) return "default";
            if (!v.isTextual()) throw error("'" + key + "' must be a string, got " + shorten(v));
            return v.asText();
        }

        void refuseUnread(String type) {
            if (params == null) return;
            Set<String> known = KEYS.get(type);
            for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!COMMON_KEYS.contains(key) && !known.contains(key))
                    throw error("key '" + key + "' is not read for rope type '" + type + "' and would change the "
                            + "math; keys read: " + String.join(", ", known.stream().sorted().toList()));
            }
        }

        double theta() {
            JsonNode v = get("rope_theta");
            if (v != null) return positive(v, label + " 'rope_theta'");
            v = top("rope_theta");
            if (v != null) return positive(v, "config 'rope_theta'");
            return 10000.0;
        }

        /** Where a partial_rotary_factor is named (the config's wins, as in standardize_rope_params), dim must match. */
        void checkDim(int dim) {
            JsonNode p = top("partial_rotary_factor");
            String where = "config 'partial_rotary_factor'";
            if (p == null) {
                p = get("partial_rotary_factor");
                where = label + " 'partial_rotary_factor'";
            }
            if (p == null) return;
            double partial = positive(p, where);
            if (partial > 1) throw error(where + " must be at most 1, got " + partial);
            JsonNode headDim = top("head_dim"), hidden = top("hidden_size"), heads = top("num_attention_heads");
            long head;
            if (headDim != null && headDim.canConvertToExactIntegral()) head = headDim.asLong();
            else if (hidden != null && heads != null && hidden.canConvertToExactIntegral()
                    && heads.canConvertToExactIntegral() && heads.asLong() > 0) head = hidden.asLong() / heads.asLong();
            else return;
            long expected = (long) (head * partial); // Python int() truncates
            if (expected != dim)
                throw error("rotary dim " + dim + " does not match head_dim " + head + " x " + where + " " + partial
                        + " = " + expected);
        }

        /** original_max_position_embeddings: the config's top-level one, else this object's, else maxPositions. */
        int originalMax(int maxPositions) {
            JsonNode v = top("original_max_position_embeddings");
            String where = "config 'original_max_position_embeddings'";
            if (v == null) {
                v = get("original_max_position_embeddings");
                where = label + " 'original_max_position_embeddings'";
            }
            if (v == null) return maxPositions;
            if (!v.isNumber() || !v.canConvertToExactIntegral() || v.asDouble() < 1 || v.asDouble() > Integer.MAX_VALUE)
                throw error(where + " must be a positive integer, got " + shorten(v));
            return v.asInt();
        }

        double positive(String key) {
            JsonNode v = get(key);
            if (v == null) throw error("'" + key + "' is required (missing or null)");
            return positive(v, "'" + key + "'");
        }

        /** A key transformers requires but accepts as null (yarn's factor): absent is an error, null takes the default. */
        double required(String key, double ifNull) {
            if (params == null || !params.has(key)) throw error("'" + key + "' is required");
            return ifNull;
        }

        private double positive(JsonNode v, String where) {
            double d = finite(v, where);
            if (!(d > 0)) throw error(where + " must be positive, got " + shorten(v));
            return d;
        }

        double finite(String key) {
            JsonNode v = get(key);
            if (v == null) throw error("'" + key + "' is required (missing or null)");
            return finite(v, "'" + key + "'");
        }

        private double finite(JsonNode v, String where) {
            if (!v.isNumber()) throw error(where + " must be a number, got " + shorten(v));
            double d = v.asDouble();
            if (!Double.isFinite(d)) throw error(where + " must be finite, got " + shorten(v));
            return d;
        }

        /** A finite number, or ifAbsent when the key is absent or null. */
        double optional(String key, double ifAbsent) {
            JsonNode v = get(key);
            return v == null ? ifAbsent : finite(v, "'" + key + "'");
        }

        boolean bool(String key, boolean ifAbsent) {
            if (params == null || !params.has(key)) return ifAbsent;
            JsonNode v = params.get(key);
            if (!v.isBoolean()) throw error("'" + key + "' must be true or false, got " + shorten(v));
            return v.asBoolean();
        }

        /** A list of n positive numbers, rounded to float32 as torch.tensor(list, dtype=float32) does. */
        float[] factors(String key, int n) {
            JsonNode v = get(key);
            if (v == null) throw error("'" + key + "' is required (missing or null)");
            if (!v.isArray()) throw error("'" + key + "' must be a list of numbers, got " + shorten(v));
            if (v.size() != n)
                throw error("'" + key + "' must have " + n + " entries (rotary dim / 2), got " + v.size());
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                String where = "'" + key + "'[" + i + "]";
                out[i] = (float) positive(v.get(i), where);
            }
            return out;
        }
    }
}
