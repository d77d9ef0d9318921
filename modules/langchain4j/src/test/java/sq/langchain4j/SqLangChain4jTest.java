package sq.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.bert.BertEncoder;
import sq.bert.BertModels;
import sq.bert.OnnxBert;
import sq.model.Generator;
import sq.model.LayerSource;
import sq.model.ModelLoader;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.serve.ServedEncoder;
import sq.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The langchain4j models on the bundled stories260K (no chat template: sq's plain format "user: ...\nassistant:"
 * after BOS) and MiniLM. The reference is independent of the engine: sq's Generator alone on a separately
 * quantized copy, decoded with the tokenizer; for embeddings a separately built int8 encoder.
 */
class SqLangChain4jTest {
    static final Path DIR = Path.of("../../models/stories260K");
    static SqModel model;
    static ChatModel chat;
    static StreamingChatModel streaming;
    static sq.model.Model ref; // the reference's own int8 copy

    @BeforeAll
    static void load() {
        model = SqModel.load(DIR, 4, 512);
        chat = new SqChatModel(model);
        streaming = new SqStreamingChatModel(model);
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    /** Greedy text for one user message in the plain format, computed without the engine. */
    static synchronized String greedy(String user, int maxTokens) {
        if (ref == null) ref = Int8Models.streamNaive(LayerSource.of(ModelLoader.load(DIR)), Scheme.parse("w8a8"), HeadPrecision.INT8);
        Tokenizer tok = model.served().tokenizer();
        var q = ref;
        int[] ids = tok.encode("user: " + user + "\nassistant:"), p = new int[ids.length + 1];
        p[0] = 1;
        System.arraycopy(ids, 0, p, 1, ids.length);
        List<Integer> out = new ArrayList<>();
        Generator.generate(new Transformer(q, true), p, maxTokens, new Sampler(0, 1, 0), id -> {
            if (id == 2) return false;
            out.add(id);
            return true;
        });
        int[] all = new int[p.length + out.size()];
        System.arraycopy(p, 0, all, 0, p.length);
        for (int i = 0; i < out.size(); i++) all[p.length + i] = out.get(i);
        return tok.decode(all).substring(tok.decode(p).length());
    }

    static ChatRequest request(String user, int maxTokens, String... stop) {
        return ChatRequest.builder().messages(UserMessage.from(user)).temperature(0.0).maxOutputTokens(maxTokens)
                .stopSequences(List.of(stop)).build();
    }

    @Test
    void chatModelStreamingAndStopSequences() throws Exception {
        String want = greedy("Tell me a story", 40);
        assertThat(want).hasSizeGreaterThan(20);
        ChatResponse r = chat.chat(request("Tell me a story", 40));
        assertThat(r.aiMessage().text()).isEqualTo(want);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(40);

        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(request("Tell me a story", 40), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(want);
        assertThat(pieces.toString()).isEqualTo(want);

        String stop = want.substring(12, 16);
        ChatResponse s = chat.chat(request("Tell me a story", 40, stop));
        assertThat(s.aiMessage().text()).isEqualTo(want.substring(0, want.indexOf(stop)));
        assertThat(s.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(model.served().engine().awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(model.served().engine().pool().used()).isZero();
    }

    @Test
    void concurrentChatsEachGetTheirOwnGreedyText() throws Exception {
        List<String> users = List.of("Once", "Tell me about a cat", "The dog", "Lily went to the park");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> fs = new ArrayList<>();
            for (String u : users) fs.add(pool.submit(() -> chat.chat(request(u, 25)).aiMessage().text()));
            for (int i = 0; i < users.size(); i++) assertThat(fs.get(i).get()).isEqualTo(greedy(users.get(i), 25));
        }
        assertThat(model.served().engine().awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(model.served().engine().pool().used()).isZero();
    }

    @Test
    void refusedClearly() {
        assertThatThrownBy(() -> chat.chat(ChatRequest.builder().messages(UserMessage.from(TextContent.from("look"),
                ImageContent.from("http://x/y.png"))).build())).hasMessageContaining("text messages only");
        assertThatThrownBy(() -> chat.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolSpecifications(ToolSpecification.builder().name("f").build()).build())).hasMessageContaining("tools");
        assertThatThrownBy(() -> chat.chat(UserMessage.from("word ".repeat(600)))).hasMessageContaining("context");
    }

    @Test
    void embeddingModelEqualsTheInProcessInt8Encoder() {
        SqEmbeddingModel m = SqEmbeddingModel.load("minilm");
        BertModels.ModelFiles f = BertModels.known(BertModels.Known.MINILM);
        BertEncoder ref = new BertEncoder(ServedEncoder.int8(OnnxBert.load(f.onnx())), f.pooling());
        List<String> texts = List.of("The cat sat on the mat.", "Int8 products are exact.");
        var e = m.embedAll(texts.stream().map(TextSegment::from).toList());
        assertThat(m.dimension()).isEqualTo(384);
        assertThat(m.modelName()).isEqualTo("minilm");
        var tok = sq.tokenizer.WordPieceTokenizer.load(f.tokenizer());
        for (int i = 0; i < texts.size(); i++)
            assertThat(e.content().get(i).vector()).isEqualTo(ref.embed(tok.encodeForModel(texts.get(i))));
    }
}
