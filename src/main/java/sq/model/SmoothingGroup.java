package sq.model;

import java.util.List;

/**
 * What SmoothQuant scales by s, an exact identity: the input columns of every linear of the group are multiplied by s
 * and the module that produces their shared input divides its output channels by s. In the paper's (and the
 * reference's) groups that module is a norm: its gain (and bias) is divided by s. The extended groups (llm-compressor's
 * and AWQ's) take a linear instead, whose output rows (and bias) are divided by s, where what lies between the two is
 * linear in that output: v_proj -> o_proj (softmax weights mix the rows of V linearly) and up_proj -> down_proj
 * (SiLU(gate) * up is linear in up).
 *
 * @param norm       the norm that takes 1/s, or null where a linear does
 * @param linears    the linears whose input columns take s, [.., in] each
 * @param previous   the linear whose output rows take 1/s, or null where a norm does
 * @param headDim    with grouped-query attention (v_proj -> o_proj): the head width; 0 otherwise
 * @param headsPerKv with grouped-query attention: the query heads sharing one key/value head, whose o_proj columns see
 *                   the same row of V and so must take the same factor; 1 otherwise
 */
public record SmoothingGroup(String norm, List<String> linears, String previous, int headDim, int headsPerKv) {
    public SmoothingGroup {
        if ((norm == null) == (previous == null)) throw new IllegalArgumentException("a group takes 1/s in a norm or in a linear: " + norm + ", " + previous);
        linears = List.copyOf(linears);
    }

    public SmoothingGroup(String norm, List<String> linears) {
        this(norm, linears, null, 0, 1);
    }

    public SmoothingGroup(String norm, String... linears) {
        this(norm, List.of(linears));
    }

    /** An extended group: previous's output rows take 1/s. */
    public static SmoothingGroup afterLinear(String previous, String linear, int headDim, int headsPerKv) {
        return new SmoothingGroup(null, List.of(linear), previous, headDim, headsPerKv);
    }

    /** The name of the module that takes 1/s (the key of the group's factor). */
    public String key() {
        return norm != null ? norm : previous;
    }

    /**
     * Which groups smoothing folds: the paper's and the reference's (norm -> linears), or those and the exact
     * linear -> linear ones beyond them.
     */
    public enum Groups {
        REFERENCE, EXTENDED;

        /** The CLI spelling: reference, extended. */
        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
