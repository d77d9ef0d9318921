package sq.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sq.engine.BlockPool;
import sq.engine.Engine;
import sq.engine.EngineConfig;
import sq.io.InputException;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.SyntheticModels;
import sq.model.Transformer;
import sq.quant.ActivationGranularity;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.serve.OpenAiServer;
import sq.serve.ServedEncoder;
import sq.serve.ServedModel;
import sq.tokenizer.chat.ChatTemplate;
import sq.tokenizer.chat.StopIds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model on the int8 engine with OpenAI's HTTP API: POST /v1/completions, POST /v1/chat/completions "
                + "(stream: true for server-sent events), POST /v1/embeddings (with --embedding-model), GET /v1/models, GET /health, GET /metrics (Prometheus).",
                "Requests are batched continuously: every step runs all active sequences together, each linear one int8 GEMM over "
                        + "the batch; a sequence's output does not depend on its batch mates. SIGTERM (Ctrl-C) finishes in-flight "
                        + "requests for up to --drain seconds, then cancels them."})
final class ServeCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "Hugging Face model folder or llama2.c .bin (quantized to int8 on load, "
                + "or an int8 compressed-tensors folder).")
        Path model;
        @Option(names = "--shape", paramLabel = "NAME", description = "A model shape with random weights (tinyllama-1.1b, smollm2-360m, ...): "
                + "no tokenizer, prompts are token ids (for load tests).")
        String shape;
    }

    @ArgGroup(multiplicity = "1")
    Source source;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json to use instead of the one beside the model.")
    Path tokenizer;

    @Mixin
    CommonOptions common;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port (default: ${DEFAULT-VALUE}; 0: a free one).")
    int port;

    @Option(names = "--max-batch", defaultValue = "32", description = "Sequences running at once (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-context", paramLabel = "N", description = "Positions per request, prompt + new tokens (default: the model's).")
    Integer maxContext;

    @Option(names = "--kv-cache-mb", paramLabel = "M", description = "KV pool size, allocated at start; a request reserves the blocks of its "
            + "prompt + max_tokens on admission and waits while they are not free (default: room for --max-batch full contexts, at most half "
            + "the heap left after loading the model).")
    Integer kvCacheMb;

    @Option(names = "--token-budget", paramLabel = "N", description = "Tokens per step: decode tokens plus prompt chunks (default: max(512, --max-batch)).")
    Integer tokenBudget;

    @Option(names = "--max-queue", defaultValue = "256", description = "Requests waiting for admission at most; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' on /v1/* (default: $SQ_API_KEY, else none).")
    String apiKey;

    @Option(names = "--served-model-name", paramLabel = "NAME", description = "The model's id in the API (default: the folder's or shape's name).")
    String name;

    @Option(names = "--scheme", defaultValue = "w8a8", description = "int8 scheme for a float checkpoint: w8a8 or O1, per-token dynamic "
            + "activations (default: ${DEFAULT-VALUE}; O2's per-tensor dynamic scales would be taken over a whole batch, so it is refused; "
            + "static O3 needs calibration: serve the output of ./sq quantize).")
    String scheme;

    @Mixin
    HeadOption head;

    @Option(names = "--embedding-model", paramLabel = "NAME|PATH", description = "Also serve POST /v1/embeddings with a BERT encoder in int8 "
            + "(naive W8A8: per-channel weights, per-token activations): minilm, bge-small (langchain4j's jars, from the class path or ~/.m2), "
            + "or an .onnx file / folder with tokenizer.json (see docs/BERT.md).")
    String embeddingModel;

    @Option(names = "--drain", defaultValue = "20", description = "Seconds in-flight requests get to finish on SIGTERM (default: ${DEFAULT-VALUE}).")
    int drain;

    @Override
    public Integer call() throws Exception {
        common.apply();
        if (port < 0 || port > 65535) throw new InputException("--port must be in [0, 65535]");
        if (maxBatch < 1) throw new InputException("--max-batch must be at least 1");
        if (maxQueue < 1) throw new InputException("--max-queue must be at least 1");
        if (drain < 0 || drain > 25) throw new InputException("--drain must be in [0, 25] (the process is gone within 30 s of SIGTERM)");
        if (apiKey == null) apiKey = System.getenv("SQ_API_KEY");
        Scheme s = Scheme.parse(scheme);
        if (s.activations() == ActivationGranularity.PER_TENSOR_DYNAMIC)
            throw new InputException("--scheme " + scheme + ": per-tensor dynamic activation scales would be taken over all requests of a "
                    + "batch, so one request's output would depend on the others; use w8a8 or O1 (per token)");
        if (s.activations() == ActivationGranularity.PER_TENSOR_STATIC)
            throw new InputException("--scheme " + scheme + ": static scales need calibration; quantize with ./sq quantize and serve its output");
        // the encoder first: a wrong --embedding-model fails before the decoder's (longer) quantization
        ServedEncoder encoder = null;
        if (embeddingModel != null) {
            if (!common.quiet) System.err.println("sq: loading the encoder " + embeddingModel + " and quantizing it (w8a8) ...");
            encoder = ServedEncoder.load(embeddingModel);
        }
        HeadPrecision h = head.precision();
        MemoryGate.expectServe(maxContext != null ? maxContext : Integer.MAX_VALUE, tokenBudget != null ? tokenBudget : Math.max(512, maxBatch), maxBatch, kvCacheMb);
        Transformer tf;
        String id;
        java.util.function.Function<Engine, ServedModel> served;
        if (source.shape != null) {
            ModelConfig cfg = SyntheticModels.config(source.shape);
            id = name != null ? name : source.shape;
            if (tokenizer != null) throw new InputException("--tokenizer does not apply to --shape (random weights, no vocabulary)");
            MemoryGate.int8Streamed(cfg, "--shape " + source.shape);
            if (!common.quiet) System.err.println("sq: generating random weights for " + source.shape + " and quantizing them (" + s.name() + ") ...");
            tf = new Transformer(Int8Models.streamNaive(SyntheticModels.source(source.shape, 1234), s, h), true);
            Set<Integer> eos = cfg.eosId() == null ? Set.of() : Set.of(cfg.eosId());
            served = e -> new ServedModel(id, e, null, eos, null, null);
        } else {
            LoadedModel m = LoadedModel.load(source.model, tokenizer);
            id = name != null ? name : m.path().getFileName().toString();
            ModelConfig cfg = m.model().config();
            if (m.quantized()) {
                tf = new Transformer(h.real(m.model()), true);
            } else {
                if (!common.quiet) System.err.println("sq: quantizing " + m.path() + " to int8 (" + s.name() + ", naive W8A8, head " + h.id + ") ...");
                Model q = Int8Models.streamNaive(sq.model.LayerSource.of(m.model()), s, h);
                tf = new Transformer(q, s.bmm());
            }
            Set<Integer> eos = Files.isDirectory(m.path()) ? StopIds.of(m.path(), cfg.eosId()) : cfg.eosId() == null ? Set.of() : Set.of(cfg.eosId());
            Integer bos = cfg.bosId() != null && !cfg.bosId().equals(cfg.eosId()) ? cfg.bosId() : null;
            ChatTemplate template = ServedModel.chatTemplateBeside(tokenizer != null ? tokenizer : m.path());
            if (template == null && !common.quiet)
                System.err.println("sq: no chat template beside the tokenizer: chat prompts use the plain format \"role: content\\n...assistant:\"");
            served = e -> new ServedModel(id, e, m.tokenizer(), eos, bos, template);
        }
        HeapTrim.afterInt8Build();
        ModelConfig cfg = tf.config();
        int context = maxContext != null ? maxContext : cfg.maxPositions();
        if (context < 2 || context > cfg.maxPositions())
            throw new InputException("--max-context must be in [2, " + cfg.maxPositions() + "] (the model's)");
        long blockBytes = BlockPool.BLOCK * Engine.bytesPerPosition(cfg, tf.int8Engine());
        long blocks = kvCacheMb != null ? (kvCacheMb * (1L << 20)) / blockBytes : BlockPool.defaultBlocks(cfg, tf.int8Engine(), maxBatch, context);
        if (kvCacheMb != null && kvCacheMb < 1) throw new InputException("--kv-cache-mb must be at least 1");
        if (blocks < 1)
            throw new InputException("--kv-cache-mb " + kvCacheMb + " holds no block of " + BlockPool.BLOCK + " positions (" + blockBytes + " bytes)");
        // the pool is allocated now, whole: refuse one the heap cannot hold, rather than die of OutOfMemoryError
        if (blocks > Integer.MAX_VALUE || blocks * blockBytes > BlockPool.freeHeap() - (64L << 20))
            throw new InputException("--kv-cache-mb " + kvCacheMb + " does not fit: the heap has " + (BlockPool.freeHeap() >> 20)
                    + " MB free after loading the model (lower it, or raise -Xmx in SQ_JAVA_OPTS)");
        int budget = tokenBudget != null ? tokenBudget : Math.max(512, maxBatch);
        if (budget < maxBatch) throw new InputException("--token-budget must be at least --max-batch");
        Engine engine = new Engine(tf, new EngineConfig(maxBatch, budget, (int) blocks, maxQueue, context)).start();
        OpenAiServer server = OpenAiServer.start(served.apply(engine), encoder, host, port, apiKey);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("sq serve: shutting down (in-flight requests get " + drain + " s)");
            try {
                server.shutdown(Duration.ofSeconds(drain));
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            stopped.countDown();
        }, "sq-serve-shutdown"));
        System.err.printf("sq serve: %s/v1 serving %s (int8 %s, head %s), max batch %d, token budget %d, context %d, KV pool %d blocks of %d "
                        + "positions (%.1f MB)%s%s%n", server.url(), id, s.name(), h.id, maxBatch, budget, context, blocks, BlockPool.BLOCK,
                blocks * blockBytes / 1e6, encoder == null ? "" : ", embeddings with " + encoder.id() + " (" + encoder.dimensions() + " dims)",
                apiKey != null ? ", API key required" : "");
        stopped.await();
        return 0;
    }
}
