package sq.langchain4j;

import sq.engine.BlockPool;
import sq.engine.Engine;
import sq.engine.EngineConfig;
import sq.io.InputException;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.serve.ServedModel;
import sq.tokenizer.Tokenizer;
import sq.tokenizer.chat.ChatTemplate;
import sq.tokenizer.chat.StopIds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A decoder on sq's int8 engine, in this process: a Hugging Face model folder (fp32 weights, config.json,
 * tokenizer.json) quantized on load to naive W8A8 (per-channel weights, per-token dynamic activations, int8 KV cache
 * and ends), as ./sq serve does, and an {@link Engine} that batches the requests of every model object sharing it.
 * Close it to stop the engine.
 */
public final class SqModel implements AutoCloseable {
    private final ServedModel served;

    private SqModel(ServedModel served) {
        this.served = served;
    }

    /** A folder with up to 8 requests batched at once and the model's whole context. */
    public static SqModel load(Path folder) {
        return load(folder, 8, null);
    }

    /**
     * @param maxBatch   sequences running at once
     * @param maxContext positions per request (prompt + new tokens), or null for the model's
     */
    public static SqModel load(Path folder, int maxBatch, Integer maxContext) {
        if (!Files.isDirectory(folder)) throw InputException.of(folder, "not a model folder (config.json, *.safetensors, tokenizer.json)");
        Path tokFile = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) throw InputException.of(folder, "has no tokenizer.json");
        Model fp32 = ModelLoader.load(folder);
        ModelConfig cfg = fp32.config();
        Transformer tf = new Transformer(Int8Models.streamNaive(LayerSource.of(fp32), Scheme.parse("w8a8"), HeadPrecision.INT8), true);
        int context = maxContext == null ? cfg.maxPositions() : maxContext;
        // the KV pool is allocated up front: room for maxBatch full contexts, capped at half the free heap (as ./sq serve)
        EngineConfig ec = new EngineConfig(maxBatch, Math.max(512, maxBatch), BlockPool.defaultBlocks(cfg, true, maxBatch, context), 256, context);
        Engine engine = new Engine(tf, ec).start();
        Integer bos = cfg.bosId() != null && !cfg.bosId().equals(cfg.eosId()) ? cfg.bosId() : null;
        ChatTemplate template = ServedModel.chatTemplateBeside(tokFile);
        return new SqModel(new ServedModel(folder.getFileName().toString(), engine, Tokenizer.load(tokFile),
                StopIds.of(folder, cfg.eosId()), bos, template));
    }

    /** The engine, tokenizer, eos ids and chat format. */
    public ServedModel served() {
        return served;
    }

    public String name() {
        return served.id();
    }

    /** Lets running requests finish for up to 10 s, then stops the engine. */
    @Override
    public void close() throws InterruptedException {
        served.engine().shutdown(Duration.ofSeconds(10));
    }
}
