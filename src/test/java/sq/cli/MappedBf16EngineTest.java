package sq.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sq.io.DType;
import sq.io.InputException;
import sq.io.SafetensorsFile;
import sq.io.SafetensorsWriter;
import sq.io.TensorSlice;
import sq.model.Bf16Linear;
import sq.model.KvCache;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fp32 engine on a bf16 checkpoint with the linears left in the mapped file equals today's widened model. */
class MappedBf16EngineTest {
    @TempDir
    Path tmp;

    private static final int[] PROMPT = {1, 5, 17, 300, 2, 9, 44, 101, 7};

    @Test
    void prefillAndDecodeEqualTheWidenedModelBitForBit() throws IOException {
        for (String name : new String[]{"tiny/llama", "tiny/qwen2", "tiny/opt"}) {
            Path dir = bf16Copy(Fixtures.bundled(name), name.replace('/', '-'), -1);
            Model widened = ModelLoader.load(dir);
            Model mapped = LoadedModel.load(dir, null).fp32Engine();
            assertThat(mapped.layers().getFirst().linears()).as(name).allMatch(l -> l instanceof Bf16Linear);
            Transformer a = new Transformer(widened), b = new Transformer(mapped);
            KvCache ca = a.newCache(PROMPT.length + 4), cb = b.newCache(PROMPT.length + 4);
            assertThat(b.forward(PROMPT, cb, true)).as(name + " prefill").containsExactly(a.forward(PROMPT, ca, true));
            for (int step = 0; step < 4; step++) {
                int[] one = {3 + 11 * step};
                assertThat(b.forward(one, cb, false)).as(name + " decode step " + step).containsExactly(a.forward(one, ca, false));
            }
        }
    }

    @Test
    void aNonFiniteMappedWeightIsNamedAtLoad() throws IOException {
        Path dir = bf16Copy(Fixtures.bundled("tiny/llama"), "nan", 0);
        assertThatThrownBy(() -> LoadedModel.load(dir, null).fp32Engine()).isInstanceOf(InputException.class)
                .hasMessageContaining("model.layers.0.self_attn.q_proj.weight").hasMessageContaining("NaN").hasMessageContaining("corrupt");
    }

    /** A model folder with every tensor stored as bf16; nanLayer >= 0 puts a NaN into that layer's q_proj. */
    private Path bf16Copy(Path src, String name, int nanLayer) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(src.resolve(f), dir.resolve(f));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (TensorSlice t : f.tensors().values()) {
                float[] v = t.toFloats();
                if (t.name().equals("model.layers." + nanLayer + ".self_attn.q_proj.weight")) v[v.length / 2] = Float.NaN;
                w.add(t.name(), DType.BF16, v, t.shape());
            }
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}
