package sq.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.eval.Bench;
import sq.io.InputException;
import sq.io.Json;
import sq.kernels.KernelInfo;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.model.SyntheticModels;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Prefill and decode speed, with the memory bandwidth measured in the same run.",
                "After four full-size warm-up prefills and 16 decode steps, prefill is the fastest of 4 timed runs; decode follows the last.",
                "Decode is reported as a share of the bandwidth bound: bandwidth / bytes of weights read per token (of a mixture of experts: the ACTIVE ones, router + top-k experts), with the",
                "higher of two bandwidth probes (before the prefills and right after the decode)."})
final class BenchCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--shape", paramLabel = "NAME",
                description = "A model shape with deterministic random weights: tinyllama-1.1b, smollm2-360m.")
        String shape;
        @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "A model folder or llama2.c .bin instead of a shape.")
        Path model;
    }

    @ArgGroup(multiplicity = "1")
    Source source;
    @Mixin
    CommonOptions common;

    @Option(names = "--engine", defaultValue = "fp32", paramLabel = "fp32|int8",
            description = "fp32, or int8: naive W8A8 of the weights as they are (shapes: random weights quantized one layer at a "
                    + "time, never held in fp32; float checkpoints: read and quantized one layer at a time; compressed-tensors folders: the int8 "
                    + "weights they hold, as they are) (default: ${DEFAULT-VALUE}).")
    EngineOptions.Engine engine;

    @Option(names = "--scheme", defaultValue = "w8a8", description = "int8 engine scheme, dynamic: O1, O2, w8a8 (default: ${DEFAULT-VALUE}).")
    String scheme;

    @Mixin
    HeadOption head;

    @Option(names = "--prompt", defaultValue = "256", description = "Prompt tokens for the prefill (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--gen", defaultValue = "32", description = "Decoded tokens (default: ${DEFAULT-VALUE}).")
    int gen;

    @Option(names = "--calibration", description = "Measure layer-by-layer calibration (16 windows of 256 random tokens) instead of "
            + "inference: seconds and peak RSS, with weights produced one layer at a time.")
    boolean calibration;

    @Option(names = "--json", description = "Print one JSON object (prefill_tok_s, decode_tok_s, peak_rss_bytes, ...).")
    boolean json;

    private int calibration() {
        if (source.shape == null) throw new InputException("--calibration needs --shape (use ./sq calibrate for real models)");
        Bench.CalibrationResult r = Bench.calibration(SyntheticModels.source(source.shape, 1234), 16, 256);
        long fp32 = 4 * SyntheticModels.config(source.shape).parameterCount();
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("model", source.shape).put("task", "calibration").put("windows", 16).put("window", 256)
                    .put("seconds", r.seconds()).put("peak_rss_bytes", r.peakRssBytes()).put("fp32_model_bytes", fp32);
            System.out.println(o);
        } else {
            System.out.printf("calibration of %s, 16 windows x 256 tokens, one layer at a time: %.1f s, peak RSS %.2f GB "
                    + "(the whole model in fp32 would be %.2f GB)%n", source.shape, r.seconds(), r.peakRssBytes() / 1e9, fp32 / 1e9);
        }
        return 0;
    }

    @Override
    public Integer call() {
        common.apply();
        if (prompt < 1 || gen < 1) throw new InputException("--prompt and --gen must be at least 1");
        if (calibration) return calibration();
        String name;
        Model model;
        boolean quantizedCheckpoint = false;
        boolean int8 = engine == EngineOptions.Engine.int8;
        Scheme s = Scheme.parse(scheme);
        if (!int8) head.requireUnsetFor("fp32");
        HeadPrecision h = head.precision();
        MemoryGate.expect(prompt + gen, prompt, 1, "--prompt", json);
        MemoryGate.head(h);
        if (source.shape != null) {
            name = source.shape;
            var cfg = SyntheticModels.config(name); // validates the name before the long build
            if (int8) MemoryGate.int8Streamed(cfg, "--shape " + name);
            else MemoryGate.fp32(cfg, "--shape " + name);
            if (!common.quiet) System.err.println("sq: generating random weights for " + name + (int8 ? " and quantizing them" : "") + " ...");
            LayerSource src = SyntheticModels.source(name, 1234);
            model = int8 ? Int8Models.streamNaive(src, s, h) : src.load();
        } else {
            name = source.model.toString();
            LoadedModel m = LoadedModel.load(source.model, null);
            if (m.quantized()) {
                // a compressed-tensors folder runs the int8 weights it holds: never widened or quantized again
                if (!int8) throw InputException.of(source.model, "this checkpoint is int8 (compressed-tensors); it runs on --engine int8");
                quantizedCheckpoint = true;
                model = h.real(m.model());
            } else {
                model = int8 ? m.streamed(src -> Int8Models.streamNaive(src, s, h)) : m.fp32Engine();
            }
        }
        if (int8) HeapTrim.afterInt8Build(); // the int8 engine's footprint: see there
        else System.gc(); // so peak RSS reflects the model, not garbage of its construction
        if (prompt + gen > model.config().maxPositions())
            throw new InputException("--prompt + --gen = " + (prompt + gen) + " exceeds the model's context of " + model.config().maxPositions());
        String schemeName = quantizedCheckpoint ? "checkpoint" : s.name(); // a quantized checkpoint's own scheme, not --scheme
        Bench.Result r = Bench.run(new Transformer(model, quantizedCheckpoint || int8 && s.bmm()), prompt, gen, common.quiet ? line -> { } : line -> System.err.println("sq: " + line));
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("model", name).put("engine", engine.name()).put("scheme", int8 ? schemeName : null).put("head", int8 ? h.id : "fp32").put("threads", r.threads()).put("kernel", KernelInfo.int8()).put("kernels", KernelInfo.describe())
                    .put("prompt_tokens", prompt).put("gen_tokens", gen)
                    .put("prefill_tok_s", r.prefillTokS()).put("decode_tok_s", r.decodeTokS())
                    .put("prefill_gflop_s", r.prefillGflops()).put("bandwidth_gb_s", r.bandwidthGbS())
                    .put("bandwidth_before_gb_s", r.bandwidthBeforeGbS()).put("bandwidth_after_gb_s", r.bandwidthAfterGbS())
                    .put("decode_bytes_per_token", r.decodeBytesPerToken()).put("decode_bound_tok_s", r.decodeBoundTokS())
                    .put("decode_share_of_bound", r.decodeShareOfBound()).put("peak_rss_bytes", r.peakRssBytes())
                    .put("all_weight_bytes", Bench.allWeightBytes(model));
            o.set("memory_plan", MemoryGate.json());
            System.out.println(o);
        } else {
            System.out.printf("model            %s (%s, %d threads)%n", name, int8 ? "int8 " + schemeName + ", head " + h.id : "fp32", r.threads());
            System.out.printf("prefill          %.1f tok/s  (%d tokens, %.1f GFLOP/s)%n", r.prefillTokS(), prompt, r.prefillGflops());
            System.out.printf("decode           %.2f tok/s  (%d tokens)%n", r.decodeTokS(), gen);
            System.out.printf("bandwidth        %.1f GB/s (probes before prefill / after decode: %.1f / %.1f) -> decode bound %.2f tok/s (%.2f GB/token)%n",
                    r.bandwidthGbS(), r.bandwidthBeforeGbS(), r.bandwidthAfterGbS(), r.decodeBoundTokS(), r.decodeBytesPerToken() / 1e9);
            System.out.printf("decode / bound   %.0f%%%n", 100 * r.decodeShareOfBound());
            var moe = model.config().block().moe();
            if (moe != null)
                System.out.printf("mixture          the bound counts the ACTIVE weights: router + top-%d of %d experts per layer, %.1f of %.1f MB%n",
                        moe.topK(), moe.experts(), r.decodeBytesPerToken() / 1e6, Bench.allWeightBytes(model) / 1e6);
            System.out.printf("peak RSS         %.2f GB%n", r.peakRssBytes() / 1e9);
        }
        return 0;
    }
}
