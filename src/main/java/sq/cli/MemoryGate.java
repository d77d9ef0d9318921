package sq.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Checkpoint;
import sq.io.DType;
import sq.io.InputException;
import sq.io.Json;
import sq.model.ModelConfig;
import sq.quant.HeadPrecision;
import sq.quant.MemoryPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CLI's side of the {@link MemoryPlan}: what the running command asked for (context, batch, --max-memory, set by
 * the command before it loads), the machine's budget, the plan printed on stderr (not under --quiet or --json; a
 * --json output carries it as "memory_plan"), and the refusal (exit 2) when it does not fit. One command runs per
 * process (tests run them one after another), so this is per-process state, reset by {@link CommonOptions#apply}.
 *
 * <p>RAM available is MemAvailable of /proc/meminfo (free memory plus the page cache and slab the kernel can drop,
 * its own estimate) plus what this process already holds (VmRSS: already counted in the plan). Set
 * {@code -Dsq.memoryCheck=false} (e.g. {@code SQ_JAVA_OPTS=-Dsq.memoryCheck=false ./sq ...}) to skip the refusal.
 */
final class MemoryGate {
    static final String SKIP_PROPERTY = "sq.memoryCheck";

    private static long cap;
    private static boolean silent;
    private static MemoryPlan.Run run = MemoryPlan.Run.DEFAULT;
    private static HeadPrecision head = HeadPrecision.INT8;
    private static MemoryPlan last;
    private static MemoryPlan.Budget lastBudget;

    private MemoryGate() {
    }

    /** At the start of every command: the --max-memory cap (0: none) and whether to print. */
    static void reset(long maxMemory, boolean quiet) {
        cap = maxMemory;
        silent = quiet;
        run = MemoryPlan.Run.DEFAULT;
        head = HeadPrecision.INT8;
        last = null;
        lastBudget = null;
    }

    /** The plan still refuses what does not fit but prints nothing (the demo: its first screen is the story). */
    static void unprinted() {
        silent = true;
    }

    /**
     * What the command will run, before it loads: KV positions per sequence, tokens per forward pass, sequences, the
     * option that sets them; json: the plan goes into the command's JSON output instead of stderr.
     */
    static void expect(int context, int passTokens, int batch, String option, boolean json) {
        run = new MemoryPlan.Run(context, passTokens, batch, option);
        if (json) silent = true;
    }

    /** serve: a KV pool of kvPoolMb MB where --kv-cache-mb bounds it (null: room for batch full contexts). */
    static void expectServe(int context, int passTokens, int batch, Integer kvPoolMb) {
        String option = kvPoolMb != null ? "--kv-cache-mb" : "--max-context or --max-batch";
        run = new MemoryPlan.Run(context, passTokens, batch, option, kvPoolMb != null ? Math.max(1, kvPoolMb) * (1L << 20) : 0);
    }

    /** The int8 engine's ends, where the command has --head. */
    static void head(HeadPrecision h) {
        head = h;
    }

    // ---- the checks LoadedModel and the commands make before loading ----

    static void fp32(ModelConfig c, Object source) {
        require(MemoryPlan.fp32(c, run), MemoryPlan.int8Streamed(c, run, head), source);
    }

    static void fp32Mapped(ModelConfig c, Checkpoint ckpt, Object source) {
        require(MemoryPlan.fp32Mapped(c, run, n -> ckpt.has(n) && ckpt.get(n).dtype() == DType.BF16),
                MemoryPlan.int8Streamed(c, run, head), source);
    }

    static void int8Streamed(ModelConfig c, Object source) {
        require(MemoryPlan.int8Streamed(c, run, head), null, source);
    }

    static void int8Checkpoint(ModelConfig c, boolean mapped, Object source) {
        require(MemoryPlan.int8Checkpoint(c, run, mapped), null, source);
    }

    static void layerwise(ModelConfig c, CalibrationOptions calib, long heapTableBytes, int layers, int lanes, Object source) {
        require(MemoryPlan.layerwise(c, calib.calibWindows, calib.calibWindow, heapTableBytes, layers, lanes), null, source);
    }

    /** Prints the plan and stops with one line naming source when it does not fit. */
    static void require(MemoryPlan plan, MemoryPlan smaller, Object source) {
        MemoryPlan.Budget b = budget();
        last = plan;
        lastBudget = b;
        if (!silent) {
            System.err.println("sq: " + plan.describe());
            System.err.println("sq: " + MemoryPlan.describe(plan, b));
        }
        if (!Boolean.parseBoolean(System.getProperty(SKIP_PROPERTY, "true"))) return;
        String problem = plan.verdict(b, smaller);
        if (problem != null) throw InputException.of(source, problem);
    }

    /** The last plan of this command as JSON (bytes), or null when none was made. */
    static ObjectNode json() {
        if (last == null) return null;
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("mode", last.mode()).put("mapped_bytes", last.mapped()).put("heap_weight_bytes", last.heapWeights())
                .put("activation_bytes", last.activations()).put("kv_cache_bytes", last.kvCache()).put("context", last.run().context())
                .put("batch", last.run().batch()).put("heap_bytes", last.heap()).put("total_bytes", last.total())
                .put("heap_max_bytes", lastBudget.heapMax()).put("ram_available_bytes", lastBudget.ram());
        if (lastBudget.cap() > 0) o.put("max_memory_bytes", lastBudget.cap());
        return o;
    }

    /** --max-memory SIZE in bytes; 0 when not given. */
    static long parseCap(String text) {
        if (text == null) return 0;
        Long v = MemoryPlan.parseSize(text);
        if (v == null) throw new InputException("--max-memory " + text + ": give a size such as 8G or 512M");
        return v;
    }

    private static MemoryPlan.Budget budget() {
        Runtime rt = Runtime.getRuntime();
        long ram = -1;
        String source = "unknown";
        try {
            ram = MemoryPlan.memAvailable(Files.readString(Path.of("/proc/meminfo")));
            if (ram >= 0) {
                ram += Math.max(0, sq.eval.Bench.rss());
                source = "MemAvailable + this process";
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the heap limit alone is checked
        }
        return new MemoryPlan.Budget(rt.maxMemory(), rt.totalMemory() - rt.freeMemory(), ram, source, cap);
    }
}
