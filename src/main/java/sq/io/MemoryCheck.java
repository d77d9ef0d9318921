package sq.io;

import sq.model.Architecture;
import sq.model.ModelConfig;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Estimates, before any weight is converted, the heap a model needs on an engine, and stops with a message that says
 * how much is needed and what to do when the JVM (or the machine) has less. The estimate is
 * weights (per engine, see {@link #registerEngine}) + KV cache + working buffers of one forward pass + a fixed margin
 * for the JVM and the tokenizer; it errs on the high side by about 10%.
 *
 * <p>Set {@code -Dsq.memoryCheck=false} (e.g. {@code SQ_JAVA_OPTS=-Dsq.memoryCheck=false ./sq ...}) to skip the check.
 */
public final class MemoryCheck {
    public static final String SKIP_PROPERTY = "sq.memoryCheck";
    static final long MB = 1L << 20, GB = 1L << 30;
    /** JVM, tokenizer, progress bars, small tables. */
    static final long MARGIN = 96 * MB;
    /** Tokens of one forward pass the buffers are sized for (evaluation windows are 256, prompts rarely longer). */
    public static final int DEFAULT_TOKENS = 512;

    /** Engine name -> bytes its weights take in the heap for a config. Engines register here (see {@link #registerEngine}). */
    private static final Map<String, ToLongFunction<ModelConfig>> ENGINES = new LinkedHashMap<>();

    static {
        registerEngine("fp32", c -> 4 * weightCount(c));
        // int8 engine: int8 decoder-layer linears (+ one float scale per output row, + packed copies' padding),
        // embeddings, norms and lm_head stay float32.
        registerEngine("int8", c -> {
            long linears = linearCount(c);
            long rest = weightCount(c) - linears;
            return linears + linears / 64 + 4 * rest;
        });
    }

    public record Estimate(String engine, long weights, long kvCache, long buffers) {
        public long total() {
            return weights + kvCache + buffers + MARGIN;
        }
    }

    private MemoryCheck() {
    }

    /** Registers (or replaces) an engine's weight footprint: the hook for new engines. */
    public static synchronized void registerEngine(String name, ToLongFunction<ModelConfig> weightBytes) {
        ENGINES.put(name, weightBytes);
    }

    /** Bytes per parameter of an engine for this config (weights only), e.g. 4.0 for fp32. */
    public static synchronized double bytesPerParameter(String engine, ModelConfig c) {
        return (double) weightsOf(engine, c) / weightCount(c);
    }

    private static synchronized long weightsOf(String engine, ModelConfig c) {
        ToLongFunction<ModelConfig> f = ENGINES.get(engine);
        if (f == null) throw new IllegalArgumentException("no memory estimate for engine '" + engine + "' (known: " + ENGINES.keySet() + ")");
        return f.applyAsLong(c);
    }

    /** Parameters held as floats by the fp32 engine: embeddings, learned positions, layers (with biases), norms, head. */
    public static long weightCount(ModelConfig c) {
        long n = c.parameterCount();
        Architecture a = c.architecture();
        if (a.embedPositions() != null) n += ((long) c.maxPositions() + c.block().positionOffset()) * c.hidden();
        // biases (OPT everywhere, Qwen2 on q/k/v), LayerNorm biases: at most one vector per linear / norm
        n += (long) c.layers() * (c.qDim() + 2L * c.kvDim() + 2L * c.hidden() + c.intermediate() + 2L * c.hidden());
        return n;
    }

    /** Parameters of the decoder-layer linears (what an int8 engine stores as int8). */
    public static long linearCount(ModelConfig c) {
        long mlp = (c.block().gated() ? 3L : 2L) * c.hidden() * c.intermediate();
        return c.layers() * ((long) c.hidden() * c.qDim() * 2 + 2L * c.hidden() * c.kvDim() + mlp);
    }

    /** Whole model in memory on an engine, running forward passes of {@code tokens} tokens. */
    public static Estimate estimate(ModelConfig c, String engine, int tokens) {
        long t = Math.max(1, tokens);
        long kv = 2L * c.layers() * t * c.kvDim() * 4;
        long buffers = 4 * (t * (6L * Math.max(c.hidden(), c.qDim()) + 3L * c.intermediate() + c.vocab())
                + (long) c.heads() * t * t);
        return new Estimate(engine, weightsOf(engine, c), kv, buffers);
    }

    /**
     * Layer-by-layer work (calibration): the embeddings in fp32, one decoder layer, and the hidden states of all windows.
     */
    public static Estimate estimateLayerwise(ModelConfig c, int windows, int tokens) {
        return estimateLayerwise(c, windows, tokens, 4L * c.vocab() * c.hidden(), 1);
    }

    /**
     * Layer-by-layer work whose tables may stay in the mapped file: heapTableBytes of embeddings / lm_head widened on
     * the heap (0 when the rows are looked up from the mapping: its pages are released, not heap), {@code layers}
     * decoder layers in fp32 at once (quantize: a layer and its smoothed copy), the windows' hidden states.
     */
    public static Estimate estimateLayerwise(ModelConfig c, int windows, int tokens, long heapTableBytes, int layers) {
        long perLayer = linearCount(c) / Math.max(1, c.layers()) + 4L * c.hidden() + 2L * c.headDim();
        long weights = heapTableBytes + 4L * layers * perLayer;
        long hidden = 4L * windows * tokens * c.hidden();
        Estimate one = estimate(c, "fp32", tokens);
        return new Estimate("fp32 (layer by layer)", weights, 2L * tokens * c.kvDim() * 4, hidden + one.buffers());
    }

    /**
     * Stops with an {@link InputException} naming {@code source} when the estimate does not fit the heap left.
     *
     * @param c the config, to suggest another registered engine that needs less; null for no suggestion
     */
    public static void require(Estimate e, ModelConfig c, Object source) {
        if (!Boolean.parseBoolean(System.getProperty(SKIP_PROPERTY, "true"))) return;
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        String problem = verdict(c, e, rt.maxMemory(), used, physicalMemory());
        if (problem != null) throw InputException.of(source, problem);
    }

    /** The model as a whole on an engine (what LoadedModel builds). */
    public static void require(ModelConfig c, String engine, Object source) {
        require(estimate(c, engine, DEFAULT_TOKENS), c, source);
    }

    /**
     * null when {@code e} fits in {@code maxHeap - used}; otherwise the message: how much is needed, how much the JVM
     * may use, and what to do: a larger -Xmx through SQ_JAVA_OPTS when the machine has the memory, and a registered
     * engine that needs less, if any. Pure (the JVM and machine sizes are arguments), so tests can call it.
     */
    public static String verdict(ModelConfig c, Estimate e, long maxHeap, long used, long physical) {
        long need = e.total();
        if (need <= maxHeap - used) return null;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "the model needs about %s for the %s engine (weights %s,"
                + " KV cache and buffers %s) but the JVM may use %s", gb(need), e.engine(), gb(e.weights()),
                gb(e.kvCache() + e.buffers() + MARGIN), gb(maxHeap)));
        if (used > 64 * MB) b.append(String.format(Locale.ROOT, " (%s already in use)", gb(used)));
        long xmx = (long) Math.ceil((need + used) * 1.15 / GB);
        boolean machineHasIt = physical <= 0 || xmx * GB <= physical * 0.9;
        if (machineHasIt)
            b.append(String.format(Locale.ROOT, "; raise the limit with SQ_JAVA_OPTS=-Xmx%dg (the ./sq launcher passes it to java)", xmx));
        else
            b.append(String.format(Locale.ROOT, "; this machine has only %s of memory", gb(physical)));
        String alt = c == null ? null : smallerEngine(c, e);
        if (alt != null) b.append(machineHasIt ? " or " : ": ").append(alt);
        else if (!machineHasIt) b.append(": use a smaller model or a machine with more memory");
        return b.toString();
    }

    /** "use --engine int8 (about 1.3 GB)" for the registered engine with the smallest weights below e's, else null. */
    private static synchronized String smallerEngine(ModelConfig c, Estimate e) {
        String best = null;
        long bestBytes = e.weights();
        for (Map.Entry<String, ToLongFunction<ModelConfig>> en : ENGINES.entrySet()) {
            long w = en.getValue().applyAsLong(c);
            if (!en.getKey().equals(e.engine()) && w < bestBytes) {
                bestBytes = w;
                best = en.getKey();
            }
        }
        return best == null ? null : String.format(Locale.ROOT, "use --engine %s (about %s)", best,
                gb(new Estimate(best, bestBytes, e.kvCache(), e.buffers()).total()));
    }

    static long physicalMemory() {
        try {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
                return os.getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            // not a HotSpot-style JVM: no machine-level advice
        }
        return -1;
    }

    static String gb(long bytes) {
        return bytes >= GB ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) GB)
                : String.format(Locale.ROOT, "%d MB", (bytes + MB - 1) / MB);
    }
}
