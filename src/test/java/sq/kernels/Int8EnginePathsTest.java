package sq.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sq.model.KvCache;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.testing.Fixtures;

/**
 * End to end: the int8 engine (int8 linears, fused q/k/v and gate/up, int8 attention BMMs, int8 head) gives the same
 * logits, bit for bit, on the pure-Java and on the native kernels, on each instruction set this CPU has: a prefill with
 * all logits, then decode steps.
 */
class Int8EnginePathsTest {

    @Test
    void logitsAreIdenticalOnBothKernels() {
        NativeKernels.assume();
        Model fp32 = ModelLoader.load(Fixtures.bundled("stories260K"));
        Int8Kernels.State saved = Int8Kernels.state();
        try {
            for (Scheme s : Scheme.PRESETS.values()) {
                if (s.activations() == sq.quant.ActivationGranularity.PER_TENSOR_STATIC) continue; // needs calibration
                for (HeadPrecision head : HeadPrecision.values()) {
                    List<float[]> java = run(fp32, s, head, Int8Kernels.Mode.JAVA);
                    for (VnniIsa isa : VnniIsa.supported()) {
                        VnniIsa.use(isa);
                        List<float[]> nat = run(fp32, s, head, Int8Kernels.Mode.NATIVE);
                        for (int i = 0; i < java.size(); i++)
                            assertThat(nat.get(i)).as("%s head %s on %s, call %d", s.name(), head, isa, i).isEqualTo(java.get(i));
                    }
                }
            }
        } finally {
            VnniIsa.use(VnniIsa.best());
            Int8Kernels.restore(saved);
        }
    }

    /** The model quantized and run with the given kernels (packed weights, where a scheme packs, are packed for them). */
    private static List<float[]> run(Model fp32, Scheme s, HeadPrecision head, Int8Kernels.Mode mode) {
        Int8Kernels.select(mode, "the test");
        Transformer t = new Transformer(Int8Models.streamNaive(LayerSource.of(fp32), s, head), s.bmm());
        KvCache cache = t.newCache(64);
        int[] prompt = new int[37];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 97 + 13) % t.config().vocab();
        List<float[]> out = new ArrayList<>();
        out.add(t.forward(prompt, cache, true));
        for (int step = 0; step < 5; step++) out.add(t.forward(new int[]{(step * 31 + 7) % t.config().vocab()}, cache, false));
        return out;
    }
}
