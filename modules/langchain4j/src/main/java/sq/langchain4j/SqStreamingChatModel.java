package sq.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.nio.file.Path;

/**
 * langchain4j's {@link StreamingChatModel} on a local W8A8 model: each request runs on its own virtual thread, which
 * hands text to the handler as tokens arrive (never on the engine's thread).
 */
public final class SqStreamingChatModel implements StreamingChatModel {
    private final SqModel model;

    public SqStreamingChatModel(SqModel model) {
        this.model = model;
    }

    /** Loads a Hugging Face model folder (see {@link SqModel#load(Path)}). */
    public static SqStreamingChatModel load(Path folder) {
        return new SqStreamingChatModel(SqModel.load(folder));
    }

    public SqModel model() {
        return model;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Thread.ofVirtual().name("sq-langchain4j-stream").start(() -> {
            try {
                handler.onCompleteResponse(Generation.run(model.served(), request, handler::onPartialResponse));
            } catch (InterruptedException e) {
                handler.onError(e);
            } catch (RuntimeException e) {
                handler.onError(e);
            }
        });
    }
}
