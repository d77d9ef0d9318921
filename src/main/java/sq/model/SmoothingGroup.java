package sq.model;

import java.util.List;

/**
 * A norm and the linears it feeds: SmoothQuant divides the norm's output channels by s and multiplies the
 * same input columns of every linear by s, an exact identity.
 */
public record SmoothingGroup(String norm, List<String> linears) {
    public SmoothingGroup(String norm, String... linears) {
        this(norm, List.of(linears));
    }
}
