package sq.serve;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** langchain4j's OpenAiChatModel and OpenAiStreamingChatModel against ./sq serve's HTTP layer (stories260K, int8). */
class LangChain4jTest {
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws Exception {
        s.close();
    }

    @Test
    void chatModel() {
        OpenAiChatModel m = OpenAiChatModel.builder().baseUrl(s.baseUrl()).apiKey("unused").modelName(TestServer.MODEL)
                .temperature(0.0).maxTokens(30).maxRetries(0).build();
        ChatResponse r = m.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(List.of(dev.langchain4j.data.message.UserMessage.from("Tell me a story"))).build());
        assertThat(r.aiMessage().text()).isEqualTo(TestServer.greedyChat("Tell me a story", 30)).isNotBlank();
        assertThat(r.metadata().finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.metadata().tokenUsage().outputTokenCount()).isEqualTo(30);
    }

    @Test
    void streamingChatModelWithStop() throws Exception {
        String full = TestServer.greedyChat("Tell me a story", 30);
        String stop = full.substring(15, 18);
        OpenAiStreamingChatModel m = OpenAiStreamingChatModel.builder().baseUrl(s.baseUrl()).apiKey("unused").modelName(TestServer.MODEL)
                .temperature(0.0).maxTokens(30).stop(List.of(stop)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        m.chat("Tell me a story", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        String want = full.substring(0, full.indexOf(stop));
        assertThat(partial.toString()).isEqualTo(want);
        assertThat(r.aiMessage().text()).isEqualTo(want);
        assertThat(r.metadata().finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(s.poolEmpty()).isTrue();
    }

    @Test
    void unknownModelIsAnError() {
        OpenAiChatModel m = OpenAiChatModel.builder().baseUrl(s.baseUrl()).apiKey("unused").modelName("gpt-4o").maxRetries(0).build();
        assertThatThrownBy(() -> m.chat("hi")).hasMessageContaining("does not exist");
    }
}
