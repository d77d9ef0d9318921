package sq.bert;

import sq.kernels.Parallel;
import sq.quant.ActivationStats;
import sq.quant.AlphaSpec;
import sq.quant.Scheme;
import sq.tokenizer.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The embedding comparison: for N sentences, how close quantized embeddings stay to FP32 ones (mean and minimum
 * cosine, top-10 neighbour overlap) for naive W8A8 and SmoothQuant (fixed alphas and the per-group search) under each
 * scheme, next to the int8 model the ecosystem ships run by ONNX Runtime; plus sentences/s of our FP32, our int8,
 * ORT FP32 and ORT int8, one sentence at a time, timed in the same run.
 *
 * <p>References: our rows compare with our FP32 embeddings; the ort-q row with ORT's FP32 embeddings (the fp32 row
 * compares ours with ORT's, i.e. the parity). Speed: one warm-up pass, then {@code speedRounds} passes in which every
 * engine in turn embeds the same {@code speedSentences} sentences; the best pass of each engine is reported (the
 * machine may be shared, and the best pass is the least disturbed).
 */
public final class EmbedEval {

    /**
     * @param method        fp32 | naive | smoothquant | ort-fp32 | ort-q
     * @param alpha         a Float, "auto", or null
     * @param groups        "ln" (the paper's LayerNorm groups) or "all" (also o and fc2), for smoothquant rows
     * @param sentencesPerS NaN where not timed
     */
    public record Row(String model, String method, String scheme, Object alpha, String groups, String engine, double meanCos,
                      double minCos, double top10, double sentencesPerS) {
    }

    /**
     * @param groupSets       which smoothing group sets to run ("ln", "all")
     * @param searchTokens    calibration tokens the alpha search uses
     * @param engine          the engine of the quantized rows
     * @param speedSentences  sentences per timing pass (0: no timing)
     */
    public record Options(List<Scheme> schemes, AlphaSpec alphas, List<String> groupSets, int searchTokens,
                          BertQuantizer.Engine engine, int speedSentences, int speedRounds) {
    }

    private EmbedEval() {
    }

    /** Token ids of the non-blank lines (stripped) whose [CLS] ... [SEP] encoding has at most maxTokens ids. */
    public static List<int[]> sentences(List<String> lines, WordPieceTokenizer tok, int maxTokens, int skip, int count) {
        List<int[]> out = new ArrayList<>();
        int seen = 0;
        WordPieceTokenizer whole = tok.withMaxLength(Integer.MAX_VALUE);
        for (String line : lines) {
            String s = line.strip();
            if (s.isEmpty()) continue;
            int[] ids = whole.encodeForModel(s);
            if (ids.length > maxTokens) continue;
            if (seen++ < skip) continue;
            out.add(ids);
            if (out.size() == count) break;
        }
        return out;
    }

    public static Set<BertSmoothing.Group> groups(String set) {
        return switch (set) {
            case "ln" -> BertSmoothing.Group.PAPER;
            case "all" -> BertSmoothing.Group.ALL;
            default -> throw new sq.io.InputException("unknown smoothing groups '" + set + "' (give ln or all)");
        };
    }

    /**
     * @param fp32    our FP32 model
     * @param files   its files (ONNX Runtime runs the same .onnx)
     * @param qFiles  the shipped int8 model, or null to leave out the ort-q row
     * @param ort     whether ONNX Runtime rows are wanted (and available)
     */
    public static List<Row> run(BertModel fp32, BertModels.ModelFiles files, BertModels.ModelFiles qFiles, boolean ort,
                                List<int[]> eval, List<int[]> calib, Options o, Consumer<String> log) {
        String name = files.name();
        Pooling pooling = files.pooling();
        List<Row> rows = new ArrayList<>();
        BertEncoder ours = new BertEncoder(fp32, pooling);
        log.accept("fp32: " + eval.size() + " sentences");
        List<float[]> ref = embedAll(ours::embed, eval);
        Map<String, Function<int[], float[]>> timed = new LinkedHashMap<>();
        Map<String, Integer> timedRow = new LinkedHashMap<>();
        timed.put("fp32", ours::embed);
        OrtRunner ortFp32 = null, ortQ = null;
        try {
            List<float[]> ortRef = null;
            if (ort) {
                ortFp32 = new OrtRunner(files.onnx(), Parallel.threads());
                OrtRunner r = ortFp32;
                log.accept("ort-fp32: " + eval.size() + " sentences");
                ortRef = embedAll(ids -> r.embed(ids, pooling), eval);
            }
            EmbeddingMetrics.Summary parity = ortRef == null ? new EmbeddingMetrics.Summary(1, 1, 1) : EmbeddingMetrics.compare(ortRef, ref);
            timedRow.put("fp32", rows.size());
            rows.add(new Row(name, "fp32", null, null, null, "fp32", parity.meanCos(), parity.minCos(), parity.top10(), Double.NaN));
            if (ortFp32 != null) {
                OrtRunner r = ortFp32;
                timed.put("ort-fp32", ids -> r.embed(ids, pooling));
                timedRow.put("ort-fp32", rows.size());
                rows.add(new Row(name, "ort-fp32", null, null, null, "onnxruntime", 1, 1, 1, Double.NaN));
            }
            ActivationStats stats = BertCalibrator.calibrate(fp32, calib, i -> { });
            String engine = o.engine().name().toLowerCase(java.util.Locale.ROOT);
            for (Scheme scheme : o.schemes()) {
                log.accept("naive " + scheme.name());
                BertModel naive = BertQuantizer.quantize(fp32, scheme, stats, o.engine());
                rows.add(row(name, "naive", scheme, null, null, engine, ref, naive, pooling, eval));
                for (String set : o.groupSets()) {
                    List<Object> alphas = new ArrayList<>(o.alphas().values());
                    if (o.alphas().auto()) alphas.add("auto");
                    for (Object alpha : alphas) {
                        log.accept("smoothquant " + scheme.name() + " alpha " + alpha + " groups " + set);
                        BertQuantizer.Result r = BertQuantizer.smoothQuant(fp32, stats, calib, alpha instanceof Float f ? f : null, scheme,
                                groups(set), o.searchTokens());
                        BertModel q = r.quantized();
                        if (o.engine() != BertQuantizer.Engine.FAKE)
                            q = BertQuantizer.quantize(r.smoothed(), scheme, r.smoothedStats(), o.engine());
                        if (!timed.containsKey("int8")) {
                            timed.put("int8", new BertEncoder(q, pooling)::embed);
                            timedRow.put("int8", rows.size());
                        }
                        rows.add(row(name, "smoothquant", scheme, alpha, set, engine, ref, q, pooling, eval));
                    }
                }
            }
            if (ortRef != null && qFiles != null) {
                ortQ = new OrtRunner(qFiles.onnx(), Parallel.threads());
                OrtRunner r = ortQ;
                log.accept("ort-q: " + eval.size() + " sentences");
                EmbeddingMetrics.Summary s = EmbeddingMetrics.compare(ortRef, embedAll(ids -> r.embed(ids, pooling), eval));
                timed.put("ort-q", ids -> r.embed(ids, pooling));
                timedRow.put("ort-q", rows.size());
                rows.add(new Row(qFiles.name(), "ort-q", null, null, null, "onnxruntime", s.meanCos(), s.minCos(), s.top10(), Double.NaN));
            }
            if (o.speedSentences() > 0) {
                Map<String, Double> speed = speed(timed, eval.subList(0, Math.min(o.speedSentences(), eval.size())), o.speedRounds(), log);
                speed.forEach((k, v) -> {
                    int i = timedRow.get(k);
                    Row x = rows.get(i);
                    rows.set(i, new Row(x.model(), x.method(), x.scheme(), x.alpha(), x.groups(), x.engine(), x.meanCos(), x.minCos(),
                            x.top10(), v));
                });
            }
        } finally {
            if (ortFp32 != null) ortFp32.close();
            if (ortQ != null) ortQ.close();
        }
        return rows;
    }

    private static Row row(String model, String method, Scheme scheme, Object alpha, String groups, String engine, List<float[]> ref,
                           BertModel q, Pooling pooling, List<int[]> eval) {
        EmbeddingMetrics.Summary s = EmbeddingMetrics.compare(ref, embedAll(new BertEncoder(q, pooling)::embed, eval));
        return new Row(model, method, scheme.name(), alpha, groups, engine, s.meanCos(), s.minCos(), s.top10(), Double.NaN);
    }

    static List<float[]> embedAll(Function<int[], float[]> f, List<int[]> sentences) {
        List<float[]> out = new ArrayList<>(sentences.size());
        for (int[] s : sentences) out.add(f.apply(s));
        return out;
    }

    /** Best sentences/s of each engine over interleaved passes (after one warm-up pass each). */
    static Map<String, Double> speed(Map<String, Function<int[], float[]>> engines, List<int[]> sentences, int rounds,
                                     Consumer<String> log) {
        Map<String, Double> best = new LinkedHashMap<>();
        for (int round = 0; round <= rounds; round++) {
            for (var e : engines.entrySet()) {
                long t0 = System.nanoTime();
                for (int[] s : sentences) e.getValue().apply(s);
                double sps = sentences.size() / ((System.nanoTime() - t0) / 1e9);
                if (round > 0) best.merge(e.getKey(), sps, Math::max);
                log.accept(String.format("speed %s pass %d: %.1f sentences/s", e.getKey(), round, sps));
            }
        }
        return best;
    }
}
