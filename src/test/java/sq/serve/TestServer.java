package sq.serve;

import sq.engine.Engine;
import sq.engine.EngineConfig;
import sq.model.Generator;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A server on stories260K in int8 on a free loopback port, as ./sq serve runs it (plain chat format: the model has
 * no chat template), and the reference outputs: {@link Generator} alone, decoded with the tokenizer.
 */
final class TestServer implements AutoCloseable {
    static final String MODEL = "stories260K";
    static final Model INT8;
    static final Tokenizer TOK;

    static {
        var dir = Fixtures.bundled(MODEL);
        TOK = Tokenizer.load(dir.resolve("tokenizer.json"));
        INT8 = Int8Models.streamNaive(LayerSource.of(ModelLoader.load(dir)), Scheme.parse("w8a8"), HeadPrecision.INT8);
    }

    final Engine engine;
    final OpenAiServer server;

    TestServer(EngineConfig config, String apiKey, ServedEncoder encoder) throws IOException {
        engine = new Engine(new Transformer(INT8, true), config).start();
        server = OpenAiServer.start(new ServedModel(MODEL, engine, TOK, Set.of(2), 1, null), encoder, "127.0.0.1", 0, apiKey);
    }

    TestServer(EngineConfig config, String apiKey) throws IOException {
        this(config, apiKey, null);
    }

    TestServer() throws IOException {
        this(new EngineConfig(16, 256, 512, 64, 512), null);
    }

    String baseUrl() {
        return server.url() + "/v1";
    }

    /** Waits for the engine to run dry, then says whether every physical KV block is back on the pool's free list. */
    boolean poolEmpty() throws InterruptedException {
        if (!engine.awaitIdle(Duration.ofSeconds(30))) return false;
        for (int b = 0; b < engine.pool().total(); b++) if (!engine.pool().isFree(b)) return false;
        return engine.pool().used() == 0;
    }

    /** Greedy text of /v1/completions for a text prompt (BOS + the prompt), computed without the server. */
    static String greedy(String prompt, int maxTokens) {
        int[] ids = TOK.encode(prompt), p = new int[ids.length + 1];
        p[0] = 1;
        System.arraycopy(ids, 0, p, 1, ids.length);
        return greedyIds(p, maxTokens);
    }

    /** The same for the plain chat format of one user message. */
    static String greedyChat(String user, int maxTokens) {
        return greedy("user: " + user + "\nassistant:", maxTokens);
    }

    private static String greedyIds(int[] p, int maxTokens) {
        List<Integer> out = new ArrayList<>();
        Generator.generate(new Transformer(INT8, true), p, maxTokens, new Sampler(0, 1, 0), id -> {
            if (id == 2) return false;
            out.add(id);
            return true;
        });
        int[] all = new int[p.length + out.size()];
        System.arraycopy(p, 0, all, 0, p.length);
        for (int i = 0; i < out.size(); i++) all[p.length + i] = out.get(i);
        // decoded in context, as the server does: the new text is what the whole decodes to beyond the prompt's
        return TOK.decode(all).substring(TOK.decode(p).length());
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdown(Duration.ofSeconds(5));
    }
}
