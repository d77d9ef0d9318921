package sq.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import sq.tokenizer.chat.ChatMessage;
import sq.tokenizer.chat.ChatTemplate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tokenizers-real/golden.json "chat": transformers 5.17's apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=G) for the llama3, qwen3 and gemma3 templates, and the encoding of each rendering.
 */
class ChatGoldenTest {
    @TestFactory
    List<DynamicNode> rendersLikeTransformers() throws IOException {
        JsonNode sets = RealGoldenTest.golden().get("sets");
        List<DynamicNode> tests = new ArrayList<>();
        for (RealTokenizers.Set set : RealTokenizers.SETS) {
            JsonNode chats = sets.get(set.name()).get("chat");
            for (int i = 0; i < chats.size(); i++) {
                JsonNode c = chats.get(i);
                List<ChatMessage> messages = new ArrayList<>();
                c.get("messages").forEach(m -> messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText())));
                boolean generation = c.get("add_generation_prompt").asBoolean();
                tests.add(DynamicTest.dynamicTest(set.name() + " #" + i + " (" + messages.size() + " messages, add_generation_prompt=" + generation + ")", () -> {
                    ChatTemplate template = ChatTemplate.load(RealTokenizers.folder(set.name()));
                    String text = template.render(messages, generation);
                    assertThat(text).isEqualTo(c.get("text").asText());
                    assertThat(RealTokenizers.tokenizer(set.name()).encode(text)).containsExactly(RealGoldenTest.ints(c.get("ids")));
                }));
            }
        }
        assertThat(tests).hasSize(12);
        return tests;
    }
}
