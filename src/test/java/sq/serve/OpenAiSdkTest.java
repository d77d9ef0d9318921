package sq.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.engine.EngineConfig;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official OpenAI Java SDK against ./sq serve's HTTP layer (stories260K, int8). */
class OpenAiSdkTest {
    static TestServer s;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer();
        client = OpenAIOkHttpClient.builder().baseUrl(s.baseUrl()).apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        s.close();
    }

    static CompletionCreateParams.Builder completion(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model(TestServer.MODEL).prompt(prompt).maxTokens(maxTokens).temperature(0.0);
    }

    static ChatCompletionCreateParams.Builder chat(String user, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(TestServer.MODEL).addUserMessage(user).maxCompletionTokens(maxTokens)
                .temperature(0.0);
    }

    @Test
    void completionIsTheGreedyContinuation() throws Exception {
        Completion c = client.completions().create(completion("Once upon a time", 40).build());
        assertThat(c.choices().getFirst().text()).isEqualTo(TestServer.greedy("Once upon a time", 40)).isNotBlank();
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(40);
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(1 + TestServer.TOK.encode("Once upon a time").length);
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("length");
        assertThat(s.poolEmpty()).isTrue();
    }

    @Test
    void chatPlainAndStreamedAgree() throws Exception {
        ChatCompletion plain = client.chat().completions().create(chat("Tell me a story", 30).build());
        String text = plain.choices().getFirst().message().content().orElseThrow();
        assertThat(text).isEqualTo(TestServer.greedyChat("Tell me a story", 30)).isNotBlank();
        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> st = client.chat().completions().createStreaming(
                chat("Tell me a story", 30).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            st.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> c.delta().content().ifPresent(streamed::append));
            });
        }
        assertThat(streamed.toString()).isEqualTo(text);
        assertThat(chunks.size()).as("a chunk per token or so").isGreaterThan(10);
        ChatCompletionChunk last = chunks.getLast();
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(plain.usage().orElseThrow().completionTokens());
        assertThat(chunks.get(chunks.size() - 2).choices().getFirst().finishReason().orElseThrow().asString())
                .isEqualTo(plain.choices().getFirst().finishReason().asString());
    }

    @Test
    void stopSequenceEndsTheTextBeforeIt() {
        String full = TestServer.greedy("Once upon a time", 40);
        String stop = full.substring(20, 24);
        Completion c = client.completions().create(completion("Once upon a time", 40).stop(stop).build());
        assertThat(c.choices().getFirst().text()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("stop");
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> st = client.completions().createStreaming(completion("Once upon a time", 40).stop(stop).build())) {
            st.stream().forEach(ch -> ch.choices().forEach(x -> streamed.append(x.text())));
        }
        assertThat(streamed.toString()).isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void tokenIdPromptsAndLogprobs() {
        int[] ids = TestServer.TOK.encode("The little dog");
        List<Long> prompt = new ArrayList<>(List.of(1L));
        for (int id : ids) prompt.add((long) id);
        Completion c = client.completions().create(CompletionCreateParams.builder().model(TestServer.MODEL)
                .prompt(CompletionCreateParams.Prompt.ofArrayOfTokens(prompt)).maxTokens(12).temperature(0.0).logprobs(3).build());
        assertThat(c.choices().getFirst().text()).isEqualTo(TestServer.greedy("The little dog", 12));
        var lp = c.choices().getFirst().logprobs().orElseThrow();
        assertThat(lp.tokenLogprobs().orElseThrow()).hasSize(12).allSatisfy(x -> assertThat(x).isLessThanOrEqualTo(0));
        assertThat(String.join("", lp.tokens().orElseThrow())).isNotEmpty();
    }

    @Test
    void errorsInOpenAisShape() {
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("gpt-4").prompt("a").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
        assertThatThrownBy(() -> client.completions().create(completion("a", 0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("max_tokens"));
        assertThatThrownBy(() -> client.completions().create(completion("word ".repeat(600), 10).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.code()).contains("context_length_exceeded"));
        assertThatThrownBy(() -> client.completions().create(completion("a", 10).n(2).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("n"));
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestServer.MODEL)
                .messages(List.of()).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("messages"));
    }

    @Test
    void cancellingMidStreamFreesTheBlocks() throws Exception {
        long fedBefore = s.engine.stepTokens();
        try (StreamResponse<Completion> st = client.completions().createStreaming(completion("Once upon a time", 480)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build())) {
            Iterator<Completion> it = st.stream().iterator();
            for (int i = 0; i < 5; i++) assertThat(it.next().choices()).isNotEmpty();
            assertThat(s.engine.pool().used()).isPositive();
        } // closes the connection: the server's next write fails and cancels the request
        assertThat(s.poolEmpty()).isTrue();
        // run to its end the request would feed its prompt (>= 1 id) and 479 generated tokens; the server may run ahead
        // of the 5 chunks read (small SSE chunks, socket buffers) before its write fails, but not to the end
        assertThat(s.engine.stepTokens() - fedBefore).as("tokens fed: cancelled, not run to its 480 tokens").isLessThan(480);
    }

    @Test
    void concurrentStreamsEachGetTheirOwnGreedyText() throws Exception {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day", "Sam had a toy car",
                "Mom said", "The sun was hot", "A big red ball"};
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> fs = new ArrayList<>();
            for (String p : prompts)
                fs.add(pool.submit(() -> {
                    StringBuilder b = new StringBuilder();
                    try (StreamResponse<Completion> st = client.completions().createStreaming(completion(p, 48).build())) {
                        st.stream().forEach(ch -> ch.choices().forEach(x -> b.append(x.text())));
                    }
                    return b.toString();
                }));
            for (int i = 0; i < prompts.length; i++) assertThat(fs.get(i).get()).as(prompts[i]).isEqualTo(TestServer.greedy(prompts[i], 48));
        }
        assertThat(s.poolEmpty()).isTrue();
    }

    @Test
    void apiKeyIsRequiredWhenSet() throws Exception {
        try (TestServer keyed = new TestServer(new EngineConfig(4, 64, 64, 8, 512), "s3cret")) {
            OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl(keyed.baseUrl()).apiKey("guess").maxRetries(0).build();
            OpenAIClient right = OpenAIOkHttpClient.builder().baseUrl(keyed.baseUrl()).apiKey("s3cret").maxRetries(0).build();
            assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class);
            assertThatThrownBy(() -> wrong.completions().create(completion("a", 3).build())).isInstanceOf(UnauthorizedException.class);
            assertThat(right.models().list().data()).extracting(m -> m.id()).containsExactly(TestServer.MODEL);
            assertThat(right.completions().create(completion("Once upon a time", 10).build()).choices().getFirst().text())
                    .isEqualTo(TestServer.greedy("Once upon a time", 10));
            wrong.close();
            right.close();
        }
    }

    @Test
    void fullQueueIs429() throws Exception {
        try (TestServer busy = new TestServer(new EngineConfig(1, 64, 64, 1, 512), null)) {
            OpenAIClient c = OpenAIOkHttpClient.builder().baseUrl(busy.baseUrl()).apiKey("x").maxRetries(0).build();
            CompletionCreateParams longOne = completion("Once upon a time", 300).putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build();
            try (StreamResponse<Completion> running = c.completions().createStreaming(longOne)) {
                running.stream().iterator().next(); // the batch of one is full
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    Future<String> queued = pool.submit(() -> c.completions().create(completion("Once upon a time", 5).build()).choices().getFirst().text());
                    while (busy.engine.waiting() == 0) Thread.sleep(5); // the queue of one is full
                    assertThatThrownBy(() -> c.completions().create(completion("a", 3).build()))
                            .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.code()).contains("rate_limit_exceeded"));
                    running.close(); // cancels the long one: the queued one runs
                    assertThat(queued.get()).isEqualTo(TestServer.greedy("Once upon a time", 5));
                }
            }
            assertThat(busy.poolEmpty()).isTrue();
            c.close();
        }
    }
}
