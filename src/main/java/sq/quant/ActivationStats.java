package sq.quant;

import sq.io.InputException;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What calibration observed for each decoder-layer linear (keyed by Hugging Face module name):
 * per-channel max|x| of its input (SmoothQuant's act_scales), the per-tensor max|x| of its input (the static
 * activation scale) and, for linears whose outputs feed the attention BMMs (q, k, v), the per-tensor max|y| and the
 * per-channel max|y_i| (what SmoothAttention's factors are computed from).
 */
public final class ActivationStats implements java.io.Serializable {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /**
     * @param outputMax        NaN where the output was not observed
     * @param outputChannelMax per output channel max|y_i| [out], or null where the output was not observed (or the
     *                         statistics come from a file without it)
     */
    public record Entry(float[] channelMax, float inputMax, float outputMax, float[] outputChannelMax) implements java.io.Serializable {
        /** Without per-channel output maxima. */
        public Entry(float[] channelMax, float inputMax, float outputMax) {
            this(channelMax, inputMax, outputMax, null);
        }
    }

    /** Prefix of the per-channel output maxima in a saved file. */
    static final String OUTPUT_CHANNELS = "output_channels.";

    private final Map<String, Entry> entries;
    private final Map<String, Long> tokens;

    public ActivationStats(Map<String, Entry> entries) {
        this(entries, Map.of());
    }

    /** @param tokens the number of token rows each linear saw (what calibration counted; experts see only theirs) */
    public ActivationStats(Map<String, Entry> entries, Map<String, Long> tokens) {
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        this.tokens = Map.copyOf(tokens);
    }

    /** The token rows linear saw in calibration: 0 where it saw none, -1 where not counted (loaded from a file). */
    public long tokens(String linear) {
        Long n = tokens.get(linear);
        return n != null ? n : entries.containsKey(linear) && tokens.isEmpty() ? -1 : 0;
    }

    public boolean has(String linear) {
        return entries.containsKey(linear);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Entry get(String linear) {
        Entry e = entries.get(linear);
        if (e == null) throw new InputException("no calibration statistics for '" + linear + "'");
        return e;
    }

    /**
     * The statistics of all the parts' windows together, from each part's: elementwise max of every max|x| (exact in
     * any order, so the same floats as one run over all windows), token counts summed. Linears keep the order in which
     * the parts first name them (the saved file is ordered by name, not by this).
     */
    public static ActivationStats merge(java.util.List<ActivationStats> parts) {
        Map<String, Entry> m = new LinkedHashMap<>();
        Map<String, Long> n = new java.util.HashMap<>();
        for (ActivationStats p : parts) {
            p.entries.forEach((name, e) -> m.merge(name, e, (a, b) -> {
                float[] ch = a.channelMax().clone();
                for (int j = 0; j < ch.length; j++) ch[j] = Math.max(ch[j], b.channelMax()[j]);
                // NaN = output not observed: the same linears are observed in every part
                return new Entry(ch, Math.max(a.inputMax(), b.inputMax()), Math.max(a.outputMax(), b.outputMax()),
                        maxOf(a.outputChannelMax(), b.outputChannelMax()));
            }));
            p.tokens.forEach((name, t) -> n.merge(name, t, Long::sum));
        }
        return new ActivationStats(m, n);
    }

    /** Elementwise max; null where either is (not observed in some part). */
    private static float[] maxOf(float[] a, float[] b) {
        if (a == null || b == null) return null;
        float[] m = a.clone();
        for (int i = 0; i < m.length; i++) m[i] = Math.max(m[i], b[i]);
        return m;
    }

    /** Per-channel max|x| of the linear's input (act_scales). */
    public float[] channelMax(String linear) {
        return get(linear).channelMax();
    }

    /**
     * Writes act_scales under the module names (the reference's act_scales layout), the static scales under
     * "static_input.NAME" / "static_output.NAME" and the per-channel output maxima under "output_channels.NAME".
     */
    public void save(Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "sq-activation-stats");
        entries.forEach((name, e) -> {
            w.add(name, e.channelMax(), e.channelMax().length);
            w.add("static_input." + name, new float[]{e.inputMax()}, 1);
            if (!Float.isNaN(e.outputMax())) w.add("static_output." + name, new float[]{e.outputMax()}, 1);
            if (e.outputChannelMax() != null) w.add(OUTPUT_CHANNELS + name, e.outputChannelMax(), e.outputChannelMax().length);
        });
        w.write(file);
    }

    /**
     * Reads a file written by {@link #save}, or a plain act_scales file (static scales then = max of act_scales).
     * Every value must be a finite max|x| (>= 0) and every static scale a one-element tensor; problems name the tensor.
     */
    public static ActivationStats load(Path file) {
        Map<String, Entry> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorSlice t : f.tensors().values()) {
                String n = t.name();
                if (n.startsWith("static_input.") || n.startsWith("static_output.") || n.startsWith(OUTPUT_CHANNELS)) continue;
                if (t.rank() != 1 || t.shape()[0] == 0)
                    throw InputException.of(file, "act_scales tensor '" + n + "' must be 1-D and non-empty, has shape " + java.util.Arrays.toString(t.shape()));
                float[] ch = nonNegative(file, n, t.toFloats());
                float in = f.has("static_input." + n) ? scalar(file, f.get("static_input." + n)) : max(ch);
                float out = f.has("static_output." + n) ? scalar(file, f.get("static_output." + n)) : Float.NaN;
                float[] outCh = f.has(OUTPUT_CHANNELS + n) ? nonNegative(file, OUTPUT_CHANNELS + n, f.get(OUTPUT_CHANNELS + n).toFloats()) : null;
                m.put(n, new Entry(ch, in, out, outCh));
            }
        }
        if (m.isEmpty()) throw InputException.of(file, "holds no activation statistics");
        return new ActivationStats(m);
    }

    private static float scalar(Path file, TensorSlice t) {
        if (t.numel() != 1)
            throw InputException.of(file, "static scale '" + t.name() + "' must hold one value, has shape " + java.util.Arrays.toString(t.shape()));
        return nonNegative(file, t.name(), t.toFloats())[0];
    }

    private static float[] nonNegative(Path file, String name, float[] v) {
        for (int i = 0; i < v.length; i++)
            if (v[i] < 0) throw InputException.of(file, "tensor '" + name + "' holds " + v[i] + " at index " + i + "; a max|x| is never negative");
        return v;
    }

    static float max(float[] a) {
        float m = 0;
        for (float v : a) m = Math.max(m, v);
        return m;
    }
}
