package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.List;

/**
 * What differs between decoder-only architectures, declared as data: module names, norm and MLP kinds,
 * positions, and SmoothQuant's smoothing groups. The forward pass ({@link Transformer}) is shared.
 */
public abstract class Architecture {
    public enum Norm { RMS, LAYER }

    public enum Mlp {
        /** down(silu(gate x) * up x) */
        SWIGLU,
        /** fc2(relu(fc1 x)) */
        RELU
    }

    /** The "architectures" entry of config.json this class reads, e.g. "LlamaForCausalLM". */
    public abstract List<String> hfClasses();

    public abstract ModelConfig parse(JsonNode config, Path file);

    public abstract LayerNames layer(int i);

    public abstract List<SmoothingGroup> smoothingGroups(int layer);

    public abstract String embedTokens();

    /** Learned absolute position table, or null for RoPE models. */
    public String embedPositions() {
        return null;
    }

    /** Row offset of position 0 in the learned position table (OPT keeps 2 padding rows). */
    public int positionOffset() {
        return 0;
    }

    public abstract String finalNorm();

    public String lmHead() {
        return "lm_head";
    }

    public abstract Norm norm();

    public abstract Mlp mlp();

    /** Query vectors are scaled by headDim^-0.5 in every architecture we support. */
    public boolean usesRope() {
        return embedPositions() == null;
    }

    int mlpMatrices() {
        return mlp() == Mlp.SWIGLU ? 3 : 2;
    }

    /** The linears of one layer, in execution order: q, k, v, o, then the MLP's. */
    public List<String> linears(int i) {
        LayerNames n = layer(i);
        return n.gate() == null ? List.of(n.q(), n.k(), n.v(), n.o(), n.up(), n.down())
                : List.of(n.q(), n.k(), n.v(), n.o(), n.gate(), n.up(), n.down());
    }

    public String name() {
        return hfClasses().getFirst();
    }

    // --- config helpers shared by the subclasses ---

    static int intField(JsonNode c, Path file, String key) {
        JsonNode v = c.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0)
            throw InputException.of(file, "'" + key + "' must be a positive integer, got " + (v == null ? "nothing" : v));
        return v.asInt();
    }

    static int intField(JsonNode c, Path file, String key, int dflt) {
        JsonNode v = c.get(key);
        return v == null || v.isNull() ? dflt : intField(c, file, key);
    }

    static double numField(JsonNode c, Path file, String key, double dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw InputException.of(file, "'" + key + "' must be a number, got " + v);
        if (!Double.isFinite(v.asDouble())) throw InputException.of(file, "'" + key + "' must be a finite number, got " + v);
        return v.asDouble();
    }

    /** A true/false field; anything but a JSON boolean (or null/absent: the default) is an error naming the key. */
    static boolean boolField(JsonNode c, Path file, String key, boolean dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw InputException.of(file, "'" + key + "' must be true or false, got " + v);
        return v.booleanValue();
    }

    /** A string field, or the default when absent/null; anything else is an error naming the key. */
    static String textField(JsonNode c, Path file, String key, String dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw InputException.of(file, "'" + key + "' must be a string, got " + v);
        return v.asText();
    }

    static Integer optInt(JsonNode c, String key) {
        JsonNode v = c.get(key);
        if (v != null && v.isArray() && !v.isEmpty()) v = v.get(0); // eos may be a list
        return v != null && v.canConvertToInt() ? v.asInt() : null;
    }
}
