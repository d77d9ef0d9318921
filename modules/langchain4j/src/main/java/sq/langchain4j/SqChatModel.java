package sq.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.nio.file.Path;

/** langchain4j's {@link ChatModel} on a local W8A8 model (sq's in-process int8 engine; no HTTP). */
public final class SqChatModel implements ChatModel {
    private final SqModel model;

    public SqChatModel(SqModel model) {
        this.model = model;
    }

    /** Loads a Hugging Face model folder (see {@link SqModel#load(Path)}). */
    public static SqChatModel load(Path folder) {
        return new SqChatModel(SqModel.load(folder));
    }

    public SqModel model() {
        return model;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        try {
            return Generation.run(model.served(), request, piece -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating", e);
        }
    }
}
