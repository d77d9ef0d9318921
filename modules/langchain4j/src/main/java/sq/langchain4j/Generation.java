package sq.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import sq.engine.Engine;
import sq.engine.GenerationRequest;
import sq.engine.TokenListener;
import sq.engine.TokenLogprobs;
import sq.serve.ChatPrompt;
import sq.serve.ServedModel;
import sq.serve.StopMatcher;
import sq.tokenizer.TokenStreamDecoder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One chat request on the engine: langchain4j's messages through the model's chat template (or sq's plain format),
 * its parameters (max output tokens, temperature, top_p, penalties, stop sequences) as a {@link GenerationRequest};
 * tokens come from the engine's thread into a queue and are detokenized and matched against the stop sequences on
 * the caller's thread, so a slow handler never holds up the batch. Defaults are OpenAI's: temperature 1, top_p 1,
 * up to the end of the context.
 */
final class Generation {
    private sealed interface Event permits Token, End {
    }

    private record Token(int id) implements Event {
    }

    private record End(sq.engine.FinishReason reason, int completionTokens) implements Event {
    }

    private Generation() {
    }

    /** Runs request to its end on this thread, handing each piece of text to onText; returns the whole response. */
    static ChatResponse run(ServedModel m, ChatRequest request, Consumer<String> onText) throws InterruptedException {
        if (request.toolSpecifications() != null && !request.toolSpecifications().isEmpty())
            throw new IllegalArgumentException("sq does not support tools (tool specifications were given)");
        int[] prompt = ChatPrompt.ids(m, messages(request.messages()));
        Engine engine = m.engine();
        int room = engine.config().maxContext() - prompt.length;
        if (room < 1)
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context is " + engine.config().maxContext());
        int maxTokens = request.maxOutputTokens() == null ? room : Math.min(request.maxOutputTokens(), room);
        GenerationRequest g = new GenerationRequest(prompt, maxTokens, 0, value(request.temperature(), 1), value(request.topP(), 1),
                ThreadLocalRandom.current().nextLong(), m.eosIds(), value(request.presencePenalty(), 0), value(request.frequencyPenalty(), 0), -1);
        LinkedBlockingQueue<Event> q = new LinkedBlockingQueue<>();
        Engine.Handle h = engine.submit(g, new TokenListener() {
            @Override
            public void onToken(int id, TokenLogprobs logprobs) {
                q.add(new Token(id));
            }

            @Override
            public void onFinish(sq.engine.FinishReason reason, int promptTokens, int completionTokens) {
                q.add(new End(reason, completionTokens));
            }
        });
        TokenStreamDecoder decoder = m.tokenizer().streamDecoder();
        for (int t : prompt) decoder.next(t); // the first new token decodes in context (its leading space)
        StopMatcher stops = new StopMatcher(request.stopSequences() == null ? List.of() : request.stopSequences());
        StringBuilder text = new StringBuilder();
        int received = 0;
        try {
            while (true) {
                Event e = q.take();
                if (e instanceof Token t) {
                    if (stops.stopped()) continue; // cancelled: the rest is dropped
                    received++;
                    emit(text, stops.add(decoder.next(t.id())), onText);
                    if (stops.stopped()) h.cancel();
                } else {
                    End end = (End) e;
                    if (!stops.stopped()) emit(text, stops.add(decoder.flush()) + stops.flush(), onText);
                    FinishReason reason = stops.stopped() ? FinishReason.STOP : switch (end.reason()) {
                        case STOP -> FinishReason.STOP;
                        case LENGTH -> FinishReason.LENGTH;
                        case CANCELLED -> FinishReason.OTHER;
                    };
                    int completion = stops.stopped() ? received : end.completionTokens();
                    return ChatResponse.builder().aiMessage(AiMessage.from(text.toString())).modelName(m.id()).finishReason(reason)
                            .tokenUsage(new TokenUsage(prompt.length, completion)).build();
                }
            }
        } catch (InterruptedException | RuntimeException e) {
            h.cancel(); // frees the request's KV blocks at the next step
            throw e;
        }
    }

    private static void emit(StringBuilder text, String piece, Consumer<String> onText) {
        if (piece.isEmpty()) return;
        text.append(piece);
        onText.accept(piece);
    }

    private static float value(Double d, double fallback) {
        return (float) (d == null ? fallback : d);
    }

    /** langchain4j's messages as role + text; images, audio and tool calls are refused. */
    static List<sq.tokenizer.chat.ChatMessage> messages(List<ChatMessage> in) {
        if (in.isEmpty()) throw new IllegalArgumentException("no messages");
        List<sq.tokenizer.chat.ChatMessage> out = new ArrayList<>();
        for (ChatMessage c : in) {
            out.add(switch (c) {
                case SystemMessage s -> new sq.tokenizer.chat.ChatMessage("system", s.text());
                case UserMessage u when u.hasSingleText() -> new sq.tokenizer.chat.ChatMessage("user", u.singleText());
                case AiMessage a when !a.hasToolExecutionRequests() -> new sq.tokenizer.chat.ChatMessage("assistant", a.text() == null ? "" : a.text());
                case ToolExecutionResultMessage t -> new sq.tokenizer.chat.ChatMessage("tool", t.text());
                default -> throw new IllegalArgumentException("sq takes text messages only, not " + c.type());
            });
        }
        return out;
    }
}
