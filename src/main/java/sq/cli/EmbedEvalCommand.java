package sq.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.bert.BertModel;
import sq.bert.BertModels;
import sq.bert.BertQuantizer;
import sq.bert.EmbedEval;
import sq.bert.OnnxBert;
import sq.bert.OrtRunner;
import sq.bert.Pooling;
import sq.io.InputException;
import sq.io.Json;
import sq.quant.AlphaSpec;
import sq.quant.Scheme;
import sq.tokenizer.WordPieceTokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "embed-eval", mixinStandardHelpOptions = true,
        description = {"W8A8 on a BERT-family embedding model (ONNX): mean and minimum cosine of quantized vs FP32 sentence "
                + "embeddings and top-10 neighbour overlap among the N sentences, for naive W8A8, SmoothQuant (fixed and auto "
                + "alpha) and the int8 model langchain4j ships run by ONNX Runtime; and sentences/s of our FP32, our int8, "
                + "ORT FP32 and ORT int8, one sentence at a time, timed in the same run.",
                "Sentences: the non-blank lines of --text (stripped) whose [CLS] ... [SEP] encoding has at most --max-tokens "
                        + "ids; the first --sentences are evaluated, the next --calib-sentences calibrate (or those of --calib)."})
final class EmbedEvalCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH|minilm|bge-small",
            description = "An .onnx file (tokenizer.json beside it), a folder with model.onnx + tokenizer.json, or minilm / "
                    + "bge-small (the langchain4j jars in the local Maven repository).")
    String model;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "Sentences, one per line (UTF-8).")
    Path text;

    @Option(names = "--sentences", defaultValue = "500", paramLabel = "N", description = "Sentences evaluated (default: ${DEFAULT-VALUE}).")
    int sentences;

    @Option(names = "--max-tokens", defaultValue = "128", paramLabel = "T",
            description = "Longest sentence kept, [CLS] and [SEP] included (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration sentences (default: the lines of --text after the evaluated ones).")
    Path calib;

    @Option(names = "--calib-sentences", defaultValue = "128", paramLabel = "N", description = "Calibration sentences (default: ${DEFAULT-VALUE}).")
    int calibSentences;

    @Option(names = {"--scheme", "--schemes"}, defaultValue = "w8a8", split = ",", paramLabel = "LIST",
            description = "Schemes (default: ${DEFAULT-VALUE}); see ./sq schemes.")
    List<String> schemes;

    @Option(names = "--alpha", defaultValue = "0.85,auto", paramLabel = "SPEC",
            description = "Migration strengths: values, a sweep (0:1:0.1) and/or auto (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--groups", defaultValue = "ln", split = ",", paramLabel = "LIST",
            description = "Smoothing groups: ln (the LayerNorm-fed q/k/v and fc1, as the paper) and/or all (also the attention "
                    + "output and FFN output linears, smoothed inside their input quantizer) (default: ${DEFAULT-VALUE}).")
    List<String> groups;

    @Option(names = "--bmm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Quantize the attention BMM inputs (query/key/value outputs) as the schemes do (default: ${DEFAULT-VALUE}); "
                    + "--no-bmm quantizes only the linears (scheme names get /no-bmm).")
    boolean bmm;

    @Option(names = "--engine", defaultValue = "int8", paramLabel = "int8|fake",
            description = "Quantized rows on the int8 engine or the fake-quantized simulation (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--q-model", paramLabel = "PATH|minilm-q|none",
            description = "The int8 ONNX model to compare with (default: the one langchain4j ships beside a named model).")
    String qModel;

    @Option(names = "--ort", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run ONNX Runtime rows (parity, ort-fp32, ort-q) (default: ${DEFAULT-VALUE}).")
    boolean ort;

    @Option(names = "--pooling", paramLabel = "mean|cls", description = "Override the pooling (default: the model's).")
    String pooling;

    @Option(names = "--speed-sentences", defaultValue = "200", paramLabel = "N",
            description = "Sentences per timing pass; 0 skips timing (default: ${DEFAULT-VALUE}).")
    int speedSentences;

    @Option(names = "--speed-rounds", defaultValue = "3", paramLabel = "N", description = "Timed passes per engine (default: ${DEFAULT-VALUE}).")
    int speedRounds;

    @Option(names = "--search-tokens", defaultValue = "4096", paramLabel = "N",
            description = "Calibration tokens the per-group alpha search uses (default: ${DEFAULT-VALUE}).")
    int searchTokens;

    @Option(names = "--json", description = "Print a JSON array of rows {model, method, scheme, alpha, mean_cos, min_cos, top10_overlap, sentences_per_s, ...}.")
    boolean json;

    @Override
    public Integer call() {
        common.apply();
        if (sentences < 2) throw new InputException("--sentences must be at least 2");
        if (maxTokens < 3) throw new InputException("--max-tokens must be at least 3");
        if (calibSentences < 1) throw new InputException("--calib-sentences must be at least 1");
        if (speedSentences < 0 || speedRounds < 1) throw new InputException("--speed-sentences must be >= 0 and --speed-rounds >= 1");
        AlphaSpec alphas = AlphaSpec.parse(alpha);
        List<Scheme> schemeList = schemes.stream().map(Scheme::parse).map(s -> bmm ? s
                : new Scheme(s.name() + "/no-bmm", s.weights(), s.groupSize(), s.activations(), false, s.description() + ", BMM inputs in fp32"))
                .toList();
        groups.forEach(EmbedEval::groups);
        BertQuantizer.Engine eng = switch (engine.toLowerCase(Locale.ROOT)) {
            case "int8" -> BertQuantizer.Engine.INT8;
            case "fake" -> BertQuantizer.Engine.FAKE;
            default -> throw new InputException("unknown engine '" + engine + "' (give int8 or fake)");
        };
        BertModels.ModelFiles files = BertModels.resolve(model);
        if (pooling != null) files = new BertModels.ModelFiles(files.name(), files.onnx(), files.tokenizer(), Pooling.parse(pooling));
        BertModels.ModelFiles q = quantizedFiles(files);
        boolean useOrt = ort && OrtRunner.available();
        if (ort && !useOrt)
            log("ONNX Runtime not found (fetch it with: mvn dependency:get -Dartifact=" + OrtRunner.COORDINATES + "); leaving out its rows");
        BertModel fp32 = OnnxBert.load(files.onnx());
        WordPieceTokenizer tok = WordPieceTokenizer.load(files.tokenizer());
        List<String> lines = TextFiles.read(text).lines().toList();
        List<int[]> eval = EmbedEval.sentences(lines, tok, Math.min(maxTokens, fp32.config().maxPositions()), 0, sentences);
        if (eval.size() < 2) throw InputException.of(text, "has fewer than 2 non-blank lines of at most " + maxTokens + " tokens");
        if (eval.size() < sentences) log(text + " has only " + eval.size() + " usable lines; evaluating those");
        List<int[]> cal = calib == null
                ? EmbedEval.sentences(lines, tok, maxTokens, eval.size(), calibSentences)
                : EmbedEval.sentences(TextFiles.read(calib).lines().toList(), tok, maxTokens, 0, calibSentences);
        if (cal.isEmpty()) {
            log("no lines left for calibration; calibrating on the evaluated sentences");
            cal = eval.subList(0, Math.min(calibSentences, eval.size()));
        }
        log(files.name() + ": " + fp32.config().layers() + " layers, hidden " + fp32.config().hidden() + ", " + files.pooling().name().toLowerCase(Locale.ROOT)
                + " pooling; " + eval.size() + " sentences, " + cal.size() + " calibration sentences");
        List<EmbedEval.Row> rows = EmbedEval.run(fp32, files, q, useOrt, eval, cal,
                new EmbedEval.Options(schemeList, alphas, groups, searchTokens, eng, speedSentences, speedRounds), this::log);
        if (json) System.out.println(toJson(rows).toPrettyString());
        else printTable(rows);
        return 0;
    }

    private BertModels.ModelFiles quantizedFiles(BertModels.ModelFiles files) {
        if (qModel != null) return qModel.equalsIgnoreCase("none") ? null : BertModels.resolve(qModel);
        BertModels.Known k = BertModels.Known.byId(model);
        if (k == null || k.quantized() == null) return null;
        if (!BertModels.available(k.quantized())) {
            log("the int8 model " + k.quantized().coordinates() + " is not in the local Maven repository; leaving out the ort-q row");
            return null;
        }
        return BertModels.known(k.quantized());
    }

    private void log(String s) {
        if (!common.quiet) System.err.println("sq: " + s);
    }

    static ArrayNode toJson(List<EmbedEval.Row> rows) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (EmbedEval.Row r : rows) {
            ObjectNode o = a.addObject();
            o.put("model", r.model()).put("method", r.method());
            if (r.scheme() == null) o.putNull("scheme");
            else o.put("scheme", r.scheme());
            if (r.alpha() instanceof Float f) o.put("alpha", Math.round(f * 1e6) / 1e6);
            else if (r.alpha() != null) o.put("alpha", r.alpha().toString());
            else o.putNull("alpha");
            o.put("mean_cos", r.meanCos()).put("min_cos", r.minCos()).put("top10_overlap", r.top10());
            if (Double.isNaN(r.sentencesPerS())) o.putNull("sentences_per_s");
            else o.put("sentences_per_s", Math.round(r.sentencesPerS() * 10) / 10.0);
            if (r.groups() == null) o.putNull("groups");
            else o.put("groups", r.groups());
            o.put("engine", r.engine());
        }
        return a;
    }

    static void printTable(List<EmbedEval.Row> rows) {
        System.out.printf("%-12s %-12s %-6s %-6s %-6s %-11s %9s %9s %7s %12s%n", "model", "method", "scheme", "alpha", "groups", "engine",
                "mean_cos", "min_cos", "top10", "sentences/s");
        for (EmbedEval.Row r : rows) {
            String a = r.alpha() instanceof Float f ? String.format("%.2f", f) : r.alpha() == null ? "-" : r.alpha().toString();
            System.out.printf("%-12s %-12s %-6s %-6s %-6s %-11s %9.5f %9.5f %7.4f %12s%n", r.model(), r.method(), dash(r.scheme()), a,
                    dash(r.groups()), r.engine(), r.meanCos(), r.minCos(), r.top10(),
                    Double.isNaN(r.sentencesPerS()) ? "-" : String.format("%.1f", r.sentencesPerS()));
        }
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
