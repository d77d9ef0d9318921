package sq.quant;

import sq.engine.Engine;
import sq.model.Architecture;
import sq.model.ModelConfig;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * What a command will hold while it runs, worked out from the config (and the checkpoint's dtypes) before any weight
 * is converted: weights in mapped file pages (bf16 tensors used where they lie: physical memory, not heap) and on the
 * heap, activations (working arrays of one forward pass, the calibration windows' hidden states) and the KV cache for
 * the requested context and batch. {@link #verdict} weighs the heap part against the JVM's limit (-Xmx,
 * Runtime.maxMemory) and the whole against the RAM the machine has available and an optional --max-memory cap.
 * Pure arithmetic: the machine's sizes come in a {@link Budget}, so tests can give any.
 *
 * @param mode        what is loaded how, for the printed line ("fp32 engine, bf16 linears mapped")
 * @param mapped      bytes of mapped file pages that stay resident while it runs (every token reads them)
 * @param heapWeights bytes of weights on the heap at the peak (with transient copies made while loading)
 * @param activations bytes of working arrays and hidden states
 * @param kvCache     bytes of the KV cache for context x batch positions
 */
public record MemoryPlan(String mode, long mapped, long heapWeights, long activations, long kvCache, Run run) {
    static final long MB = 1L << 20, GB = 1L << 30;
    /** JVM, tokenizer, progress bars, small tables. */
    static final long MARGIN = 96 * MB;
    /** Tokens of one forward pass the buffers are sized for when a command does not say (prompts rarely longer). */
    public static final int DEFAULT_TOKENS = 512;

    /**
     * What the command asks for: KV cache positions per sequence (context) and sequences (batch), tokens of one
     * forward pass (the working arrays), and the option that sets them, named when they are what does not fit;
     * kvPool: a KV pool's bytes where the command bounds them itself (serve --kv-cache-mb), else 0.
     */
    public record Run(int context, int passTokens, int batch, String option, long kvPool) {
        public static final Run DEFAULT = new Run(DEFAULT_TOKENS, DEFAULT_TOKENS, 1, null);

        public Run(int context, int passTokens, int batch, String option) {
            this(context, passTokens, batch, option, 0);
        }

        /** This run within the model's positions. */
        Run within(ModelConfig c) {
            int ctx = Math.max(1, Math.min(context, c.maxPositions() > 0 ? c.maxPositions() : context));
            return new Run(ctx, Math.max(1, Math.min(passTokens, ctx)), Math.max(1, batch), option, kvPool);
        }
    }

    /**
     * What the machine gives: the JVM's heap limit and what is already used of it, the RAM available (-1: unknown)
     * and how that was measured, the --max-memory cap (0: none).
     */
    public record Budget(long heapMax, long heapUsed, long ram, String ramSource, long cap) {
    }

    /** Heap the plan needs: weights on the heap, activations, KV cache, and a margin for the JVM and the tokenizer. */
    public long heap() {
        return heapWeights + activations + kvCache + MARGIN;
    }

    /** Memory the plan needs in all: mapped pages plus the heap. */
    public long total() {
        return mapped + heap();
    }

    // ---- the modes ----

    /** The whole model as fp32 arrays (eval, inspect, the whole-model quantize, llama2.c files). */
    public static MemoryPlan fp32(ModelConfig c, Run run) {
        Run r = run.within(c);
        return new MemoryPlan("fp32 engine, weights on the heap", 0, 4 * weightCount(c), buffers(c, r), kv(c, r, false), r);
    }

    /**
     * The fp32 engine with BF16 linears used from the mapped file ({@code bf16} says which tensors are stored BF16;
     * transposed Conv1D weights are widened as before): those pages stay resident, the rest is fp32 on the heap, plus
     * the prefill scratch of the largest mapped matrix widened (sq.kernels.Bf16MatMul).
     */
    public static MemoryPlan fp32Mapped(ModelConfig c, Run run, Predicate<String> bf16) {
        Run r = run.within(c);
        Architecture a = c.architecture();
        long mappedParams = 0, widest = 0;
        if (!a.transposedWeights()) {
            for (int l = 0; l < c.layers(); l++)
                for (ModelConfig.LinearShape s : c.linearShapes(l))
                    if (bf16.test(s.name() + ".weight")) {
                        mappedParams += (long) s.in() * s.out();
                        widest = Math.max(widest, (long) s.in() * s.out());
                    }
            long head = (long) c.vocab() * c.block().embedDim();
            if (!c.tiedEmbeddings() && bf16.test(a.lmHead() + ".weight")) {
                mappedParams += head;
                widest = Math.max(widest, head);
            }
        }
        if (mappedParams == 0) return fp32(c, run);
        long scratch = r.passTokens() > 1 ? 4 * widest : 0;
        return new MemoryPlan("fp32 engine, bf16 linears mapped", 2 * mappedParams, 4 * (weightCount(c) - mappedParams) + scratch,
                buffers(c, r), kv(c, r, false), r);
    }

    /**
     * The int8 engine built one layer at a time (from a float checkpoint or generated weights): int8 decoder linears
     * with a float scale per row, the ends in int8 ({@link HeadPrecision#INT8}, a float scale per row) or fp32, and at
     * the peak one piece in fp32 while it is quantized: a table (int8 ends) or a decoder layer, whichever is larger.
     */
    public static MemoryPlan int8Streamed(ModelConfig c, Run run, HeadPrecision head) {
        Run r = run.within(c);
        long linears = linearCount(c), table = (long) c.vocab() * c.block().embedDim();
        long tables = c.tiedEmbeddings() ? table : 2 * table;
        long rest = weightCount(c) - linears - tables; // norms, biases, learned positions: fp32
        boolean int8Ends = head == HeadPrecision.INT8;
        long ends = int8Ends ? tables + 4L * c.vocab() * (tables / table) : 4 * tables;
        long converting = 4 * Math.max(int8Ends ? table : 0, perLayer(c));
        long weights = linears + linears / 64 + ends + 4 * rest + converting;
        return new MemoryPlan("int8 engine, quantized one layer at a time", 0, weights, buffers(c, r), kv(c, r, false), r);
    }

    /**
     * A compressed-tensors checkpoint on the int8 engine: the int8 linears (and their scales) in the mapped shards when
     * mapped (the native kernels read them there), else copied to the heap; the ends read in float on the heap while
     * they are made int8.
     */
    public static MemoryPlan int8Checkpoint(ModelConfig c, Run run, boolean mapped) {
        Run r = run.within(c);
        long linears = linearCount(c), int8 = linears + linears / 64, ends = 4 * (weightCount(c) - linears);
        return new MemoryPlan(mapped ? "int8 engine, compressed-tensors weights in the mapped shards" : "int8 engine, compressed-tensors weights on the heap",
                mapped ? int8 : 0, mapped ? ends : int8 + ends, buffers(c, r), kv(c, r, true), r);
    }

    /**
     * Layer-by-layer work (calibrate, the streamed quantize): {@code layers} decoder layers in fp32 at once (quantize:
     * a layer and its smoothed copy), the hidden states of every window (x lanes: static schemes run a smoothed lane
     * too), one layer's KV cache per lane; the embeddings widened on the heap ({@code heapTableBytes}) or looked up from
     * the mapping (0: then the windows' rows are the pages that stay).
     */
    public static MemoryPlan layerwise(ModelConfig c, int windows, int tokens, long heapTableBytes, int layers, int lanes) {
        Run r = new Run(tokens, tokens, 1, "--calib-windows").within(c);
        int T = r.passTokens();
        long rowBytes = 2L * c.block().embedDim();
        long mapped = heapTableBytes == 0 ? Math.min((long) c.vocab(), (long) windows * T) * Math.max(rowBytes, 4096) : 0;
        long hidden = 4L * lanes * windows * T * c.hidden();
        return new MemoryPlan("fp32, one decoder layer at a time", mapped, heapTableBytes + 4L * layers * perLayer(c),
                hidden + buffers(c, r), lanes * Engine.bytesPerPosition(c, false) / c.layers() * T, r);
    }

    // ---- the arithmetic ----

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

    /** Parameters of one decoder layer (linears, norms, q/k norms at most). */
    static long perLayer(ModelConfig c) {
        return linearCount(c) / Math.max(1, c.layers()) + 4L * c.hidden() + 2L * c.headDim();
    }

    /** Working arrays of a forward pass of T tokens (over the whole batch): hidden-sized, MLP-sized, logits, attention scores. */
    static long buffers(ModelConfig c, Run r) {
        long t = r.passTokens();
        return 4 * (t * (6L * Math.max(c.hidden(), c.qDim()) + 3L * c.intermediate() + c.vocab()) + (long) c.heads() * t * t);
    }

    /** Context x batch positions, or the pool's bytes where the command bounds them (the pool never holds more). */
    static long kv(ModelConfig c, Run r, boolean int8) {
        long full = Engine.bytesPerPosition(c, int8) * r.context() * r.batch();
        return r.kvPool() > 0 ? Math.min(r.kvPool(), full) : full;
    }

    // ---- the verdict ----

    /**
     * null when the plan fits the budget; otherwise the one-line reason: what is needed, what the limit is (--max-memory,
     * then the heap, then the RAM), and what to change: -Xmx through SQ_JAVA_OPTS (when the machine has the RAM), the option that sets the context
     * or windows (when the KV cache and activations are a large part), or {@code smaller}, another engine's plan.
     *
     * @param smaller a plan of the same work that needs less (e.g. the int8 engine for fp32), or null; offered where it
     *                fits the budget
     */
    public String verdict(Budget b, MemoryPlan smaller) {
        if (smaller != null && smaller.verdict(b, null) != null) smaller = null; // offered only where it would run
        String problem;
        boolean capBinds = b.cap() > 0 && (b.ram() < 0 || b.cap() <= b.ram()); // else the RAM is the tighter limit
        if (capBinds && total() > b.cap()) {
            String a = advice(smaller, "; ");
            return String.format(Locale.ROOT, "needs about %s (%s) but --max-memory is %s", gb(total()), parts(), gb(b.cap()))
                    + (a.isEmpty() ? "; give a larger --max-memory" : a);
        } else if (heap() > b.heapMax() - b.heapUsed()) {
            problem = String.format(Locale.ROOT, "needs about %s of heap (%s) but the JVM may use %s", gb(heap()), parts(), gb(b.heapMax()));
            if (b.heapUsed() > 64 * MB) problem += String.format(Locale.ROOT, " (%s already in use)", gb(b.heapUsed()));
            long xmx = (long) Math.ceil((heap() + b.heapUsed()) * 1.15 / GB);
            if (b.ram() < 0 || xmx * GB + mapped <= b.ram())
                return problem + String.format(Locale.ROOT, "; raise the limit with SQ_JAVA_OPTS=-Xmx%dg (the ./sq launcher passes it to java)", xmx)
                        + advice(smaller, " or ");
        } else if (b.ram() >= 0 && total() > b.ram()) {
            problem = String.format(Locale.ROOT, "needs about %s of RAM (%s) but %s is available (%s)", gb(total()), parts(), gb(b.ram()), b.ramSource());
        } else {
            return null;
        }
        String a = advice(smaller, "; ");
        return problem + (a.isEmpty() ? "; use a smaller model or a machine with more memory" : a);
    }

    /** "; use --engine int8 (about 9.4 GB)" and/or "; lower --window" where they would help, else "". */
    private String advice(MemoryPlan smaller, String sep) {
        StringBuilder s = new StringBuilder();
        if (smaller != null && smaller.total() < total())
            s.append(sep).append(String.format(Locale.ROOT, "use %s (about %s)", smaller.alternative(), gb(smaller.total())));
        if (run.option() != null && activations() + kvCache() > total() / 4)
            s.append(s.isEmpty() ? sep : " or ").append("lower ").append(run.option());
        return s.toString();
    }

    /** How a plan is asked for on the command line, when offered as the alternative. */
    private String alternative() {
        return mode.startsWith("int8") ? "--engine int8" : "--engine fp32";
    }

    private String parts() {
        return (mapped > 0 ? gb(mapped) + " mapped + " : "") + gb(heapWeights) + " weights + " + gb(activations + kvCache + MARGIN)
                + " activations, KV cache and JVM";
    }

    /** The plan in one line, e.g. for stderr before loading. */
    public String describe() {
        return String.format(Locale.ROOT, "memory plan (%s): weights %s%s, activations %s, KV cache %s (context %d x batch %d)",
                mode, mapped > 0 ? gb(mapped) + " mapped + " : "", gb(heapWeights) + " heap", gb(activations), gb(kvCache),
                run.context(), run.batch());
    }

    /** How the plan stands against the budget, in one line. */
    public static String describe(MemoryPlan p, Budget b) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "needs heap %s of %s (-Xmx)", gb(p.heap()), gb(b.heapMax())));
        if (b.ram() >= 0) s.append(String.format(Locale.ROOT, ", memory %s of %s available (%s)", gb(p.total()), gb(b.ram()), b.ramSource()));
        if (b.cap() > 0) s.append(String.format(Locale.ROOT, ", --max-memory %s", gb(b.cap())));
        return s.toString();
    }

    /**
     * A size as --max-memory takes it: a number with K, M, G or T (powers of 1024; a trailing B or iB is allowed),
     * e.g. 8G, 512M, 1.5G; a bare number is bytes. null for anything else.
     */
    public static Long parseSize(String text) {
        var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(?:i?b)?", java.util.regex.Pattern.CASE_INSENSITIVE)
                .matcher(text.strip());
        if (!m.matches()) return null;
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        double v = Double.parseDouble(m.group(1)) * (1L << shift);
        return v >= 1 && v < Long.MAX_VALUE / 2 ? (long) v : null;
    }

    /**
     * RAM available from the text of /proc/meminfo: MemAvailable, the kernel's own estimate of what can be had without
     * swapping (free memory plus the page cache and slab it can drop); -1 when absent.
     */
    public static long memAvailable(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (!line.startsWith("MemAvailable:")) continue;
            String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
            try {
                return Long.parseLong(f[0]) * (f.length > 1 && f[1].equalsIgnoreCase("kB") ? 1024 : 1);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    public static String gb(long bytes) {
        return bytes >= GB ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) GB)
                : String.format(Locale.ROOT, "%d MB", (bytes + MB - 1) / MB);
    }
}
