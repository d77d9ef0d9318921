package sq.eval;

import sq.kernels.Bandwidth;
import sq.kernels.Parallel;
import sq.model.KvCache;
import sq.model.Layer;
import sq.model.Linear;
import sq.model.LayerSource;
import sq.quant.Calibrator;
import sq.model.Model;
import sq.model.Moe;
import sq.model.ModelConfig;
import sq.model.Sampler;
import sq.model.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/** End-to-end speed: a timed batched prefill and a timed decode, plus the memory bandwidth measured alongside. */
public final class Bench {
    /**
     * @param bandwidthGbS the higher of two probes, one before the prefills and one right after the decode (this host's
     *                     bandwidth changes from minute to minute; the higher probe gives the stricter bound)
     */
    public record Result(int threads, double prefillTokS, double decodeTokS, double prefillGflops, double bandwidthGbS,
                         double bandwidthBeforeGbS, double bandwidthAfterGbS,
                         long decodeBytesPerToken, double decodeBoundTokS, double decodeShareOfBound, long peakRssBytes) {
    }

    private Bench() {
    }

    /**
     * Full-size prefills before timing, so the kernels are compiled for the measured shapes: on the int8 TinyLlama
     * shape the attention reached its steady speed only after ~5 prefills (each runs it 22 times); with 2 the best
     * of 3 timed prefills still ran it at ~1.6x its steady time.
     */
    static final int WARMUP_PREFILLS = 4;
    /** Timed prefills; the fastest counts (the machine is shared, the slow ones measure the neighbours). */
    static final int PREFILL_RUNS = 4;
    /** Decode steps before timing (the T = 1 kernels are other code than the prefill's). */
    static final int WARMUP_DECODE = 16;

    public static Result run(Transformer tf, int promptTokens, int genTokens, Consumer<String> log) {
        Model model = tf.model();
        ModelConfig c = model.config();
        int[] prompt = new SplittableRandom(7).ints(promptTokens, 0, c.vocab()).toArray();
        // Warm-up at the measured sizes: the first full prefill runs mostly before C2 has compiled the kernels for
        // many tokens (~70 tok/s where a warm one reaches ~200 on the int8 TinyLlama shape).
        log.accept("warming up");
        KvCache cache = tf.newCache(promptTokens + genTokens);
        for (int r = 0; r < WARMUP_PREFILLS; r++) {
            cache.clear();
            tf.forward(prompt, cache, false);
        }
        for (int i = 0; i < WARMUP_DECODE && cache.length() < cache.capacity(); i++) tf.forward(new int[]{i}, cache, false);

        log.accept("measuring memory bandwidth");
        double gbsBefore = Bandwidth.measure();
        // the probe's 1 GiB buffer and the garbage of building the model are not the model's footprint: collect, let
        // the JVM hand the freed heap back, then restart the peak-RSS counter so it covers the model while it runs
        System.gc();
        awaitHeapRelease();
        resetPeakRss();

        log.accept("prefill of " + promptTokens + " tokens, best of " + PREFILL_RUNS);
        double prefillS = Double.MAX_VALUE;
        float[] logits = null;
        for (int r = 0; r < PREFILL_RUNS; r++) {
            cache.clear();
            long t0 = System.nanoTime();
            logits = tf.forward(prompt, cache, false);
            prefillS = Math.min(prefillS, (System.nanoTime() - t0) / 1e9);
        }

        log.accept("decode of " + genTokens + " tokens");
        long t1 = System.nanoTime();
        for (int i = 0; i < genTokens; i++) logits = tf.forward(new int[]{Sampler.argmax(logits)}, cache, false);
        double decodeS = (System.nanoTime() - t1) / 1e9;
        long peakRss = peakRss(); // before the second probe's 1 GiB buffer
        log.accept("measuring memory bandwidth again");
        double gbsAfter = Bandwidth.measure(), gbs = Math.max(gbsBefore, gbsAfter);

        // decode streams every linear's weights (and the head) once per token
        long bytes = weightBytes(model);
        double bound = gbs * 1e9 / bytes;
        // prefill: every decoder linear for every prompt token, the head for the last one only
        long head = (long) c.vocab() * c.hidden();
        double flops = 2.0 * (macs(model) - head) * promptTokens + 2.0 * head;
        double decodeTokS = genTokens / decodeS;
        return new Result(Parallel.threads(), promptTokens / prefillS, decodeTokS, flops / prefillS / 1e9, gbs, gbsBefore,
                gbsAfter, bytes, bound, decodeTokS / bound, peakRss);
    }

    /**
     * Bytes of weights a decode step reads: every decoder linear and the head ({@link Linear#weightBytes}: int8 ones
     * 1 byte per weight + scales, float ones 4); of the embeddings only one row, left out. A mixture's layer counts its
     * ACTIVE weights: the router and top-k of its experts (experts are of one size), plus any shared expert.
     */
    public static long weightBytes(Model m) {
        return m.lmHead().weightBytes() + perLayer(m, Linear::weightBytes, true);
    }

    /** Bytes of all the weights, every expert counted (what the machine must hold). */
    public static long allWeightBytes(Model m) {
        return m.lmHead().weightBytes() + perLayer(m, Linear::weightBytes, false);
    }

    /** Multiply-accumulates per token through all linears (of a mixture: router, top-k experts, shared) and the head. */
    static long macs(Model m) {
        return (long) m.lmHead().in() * m.lmHead().out() + perLayer(m, x -> (long) x.in() * x.out(), true);
    }

    /** Sum of f over the decoder linears; active: of a mixture, the router plus topK / experts of its experts' sum. */
    private static long perLayer(Model m, java.util.function.ToLongFunction<Linear> f, boolean active) {
        long n = 0;
        for (Layer l : m.layers()) {
            for (Linear x : l.linears()) n += f.applyAsLong(x);
            Moe moe = l.moe;
            if (moe == null) continue;
            n += f.applyAsLong(moe.router) + (moe.sharedGate == null ? 0 : f.applyAsLong(moe.sharedGate));
            if (!active) continue;
            long experts = 0;
            for (int e = 0; e < moe.experts(); e++) experts += f.applyAsLong(moe.gate[e]) + f.applyAsLong(moe.up[e]) + f.applyAsLong(moe.down[e]);
            n -= experts - experts * m.config().block().moe().topK() / moe.experts();
        }
        return n;
    }

    /** Layer-by-layer calibration of windows of random tokens: seconds and peak RSS (the memory claim of calibration). */
    public record CalibrationResult(double seconds, long peakRssBytes) {
    }

    public static CalibrationResult calibration(LayerSource source, int windows, int windowLength) {
        int[] ids = new SplittableRandom(11).ints((long) windows * windowLength, 0, source.config().vocab()).toArray();
        long t0 = System.nanoTime();
        Calibrator.calibrate(source, Windows.of(ids, windowLength, 0, windows, "random tokens"), i -> { });
        return new CalibrationResult((System.nanoTime() - t0) / 1e9, peakRss());
    }

    /** Restarts VmHWM at the current RSS (Linux: "5" to /proc/self/clear_refs); no-op where unavailable. */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // not Linux, or not allowed: the peak then includes the probe, which the report says
        }
    }

    /**
     * Waits until the resident set stops shrinking (at most 3 s): after a full GC, G1 uncommits the heap regions it
     * gave up from a background thread, over a few hundred milliseconds for gigabytes; a peak counted from before that
     * would include memory the process is already returning.
     */
    static void awaitHeapRelease() {
        long last = rss(), deadline = System.nanoTime() + 3_000_000_000L;
        int still = 0; // polls in a row without progress
        while (last > 0 && still < 3 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = rss();
            still = now > last - (1 << 20) ? still + 1 : 0; // less than 1 MB given back in 100 ms counts as still
            last = Math.min(last, now);
        }
    }

    /** VmHWM (peak resident set) from /proc/self/status (Linux); -1 where it is not available. */
    public static long peakRss() {
        return status("VmHWM:");
    }

    /** VmRSS (resident set now); -1 where it is not available. */
    public static long rss() {
        return status("VmRSS:");
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
