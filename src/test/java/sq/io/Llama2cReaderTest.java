package sq.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import sq.model.Generator;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cReaderTest {
    private final Path dir = Fixtures.bundled("stories260K");

    @Test
    void binGivesTheSameLogitsAsTheConvertedCheckpoint() {
        Model bin = Llama2cReader.read(dir.resolve("stories260K.bin"));
        Model hf = ModelLoader.load(dir);
        int[] ids;
        try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("golden/logits.safetensors"))) {
            ids = g.get("input_ids").toInts();
        }
        Transformer a = new Transformer(bin), b = new Transformer(hf);
        float[] la = a.forward(ids, a.newCache(ids.length), true), lb = b.forward(ids, b.newCache(ids.length), true);
        double maxDiff = 0;
        for (int i = 0; i < la.length; i++) maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
        assertThat(maxDiff).isLessThan(1e-4);
    }

    @Test
    void greedyGenerationReproducesTheDocumentedStory() {
        JsonNode g = Json.read(dir.resolve("golden/greedy.json"));
        int[] prompt = StreamSupport.stream(g.get("prompt_ids").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
        int[] expected = StreamSupport.stream(g.get("ids").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
        List<Integer> got = new ArrayList<>();
        for (int id : prompt) got.add(id);
        Generator.generate(new Transformer(Llama2cReader.read(dir.resolve("stories260K.bin"))), prompt,
                g.get("new_tokens").asInt(), new Sampler(0, 1, 0), id -> got.add(id));
        assertThat(got).containsExactlyElementsOf(java.util.Arrays.stream(expected).boxed().toList());
    }

    @Test
    void truncatedFileIsRefusedWithItsName(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("cut.bin");
        byte[] all = java.nio.file.Files.readAllBytes(dir.resolve("stories260K.bin"));
        java.nio.file.Files.write(bad, java.util.Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> Llama2cReader.read(bad)).isInstanceOf(InputException.class)
                .hasMessageContaining("cut.bin").hasMessageContaining("does not match its header");
    }
}
