package sq.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.ModelLoader;
import sq.model.Qwen3;
import sq.model.Transformer;
import sq.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        Path src = Fixtures.bundled("tiny/llama");
        Path dir = Files.createDirectory(tmp.resolve("sharded"));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        var map = Json.MAPPER.createObjectNode();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            List<String> names = new ArrayList<>(f.tensors().keySet());
            SafetensorsWriter[] shards = {new SafetensorsWriter(), new SafetensorsWriter()};
            for (int i = 0; i < names.size(); i++) {
                TensorSlice t = f.get(names.get(i));
                String shard = "model-0000" + (i % 2 + 1) + "-of-00002.safetensors";
                shards[i % 2].add(t.name(), t.dtype(), t.shape(), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                map.put(t.name(), shard);
            }
            shards[0].write(dir.resolve("model-00001-of-00002.safetensors"));
            shards[1].write(dir.resolve("model-00002-of-00002.safetensors"));
        }
        var index = Json.MAPPER.createObjectNode();
        index.set("weight_map", map);
        Files.writeString(dir.resolve(Checkpoint.INDEX), index.toString());

        int[] ids = {5, 17, 300, 4000, 2, 9};
        assertThat(logits(ModelLoader.load(dir), ids)).containsExactly(logits(ModelLoader.load(src), ids));
    }

    private static float[] logits(Model m, int[] ids) {
        Transformer t = new Transformer(m);
        return t.forward(ids, t.newCache(ids.length), true);
    }

    @Test
    void configsParseToTypedConfigs() {
        ModelConfig q3 = ModelLoader.readConfig(Checkpoint.open(Fixtures.bundled("tiny/qwen3")));
        assertThat(q3.architecture()).isInstanceOf(Qwen3.class);
        assertThat(q3.headDim()).isEqualTo(16);
        assertThat(q3.kvHeads()).isEqualTo(2);
        ModelConfig opt = ModelLoader.readConfig(Checkpoint.open(Fixtures.bundled("tiny/opt")));
        assertThat(opt.tiedEmbeddings()).isTrue();
        assertThat(opt.intermediate()).isEqualTo(256);
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("gpt"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"MambaForCausalLM\"]}");
        new SafetensorsWriter().add("x", new float[1], 1).write(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(InputException.class)
                .hasMessageContaining("config.json").hasMessageContaining("MambaForCausalLM")
                .hasMessageContaining("LlamaForCausalLM").hasMessageContaining("Qwen3ForCausalLM").hasMessageContaining("OPTForCausalLM");
    }

    @Test
    void wrongFoldersAndMissingTensorsAreNamed() throws IOException {
        assertThatThrownBy(() -> Checkpoint.open(tmp.resolve("nope"))).isInstanceOf(InputException.class).hasMessageContaining("no such model folder");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> Checkpoint.open(empty)).isInstanceOf(InputException.class).hasMessageContaining("no config.json");
        Path dir = Files.createDirectory(tmp.resolve("partial"));
        Files.copy(Fixtures.bundled("tiny/llama/config.json"), dir.resolve("config.json"));
        new SafetensorsWriter().add("model.embed_tokens.weight", new float[4096 * 64], 4096, 64).write(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(InputException.class)
                .hasMessageContaining("model.layers.0.input_layernorm.weight");
        Path badShape = Files.createDirectory(tmp.resolve("shape"));
        Files.copy(Fixtures.bundled("tiny/llama/config.json"), badShape.resolve("config.json"));
        new SafetensorsWriter().add("model.embed_tokens.weight", new float[64], 1, 64).write(badShape.resolve("model.safetensors"));
        assertThatThrownBy(() -> ModelLoader.load(badShape)).isInstanceOf(InputException.class)
                .hasMessageContaining("'model.embed_tokens.weight' has shape [1, 64], expected [4096, 64]");
    }
}
