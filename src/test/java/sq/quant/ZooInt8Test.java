package sq.quant;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sq.eval.Windows;
import sq.export.CompressedTensorsReader;
import sq.export.CompressedTensorsWriter;
import sq.io.AtomicOutput;
import sq.io.Checkpoint;
import sq.io.SafetensorsFile;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.model.ZooLogitsTest;
import sq.testing.Fixtures;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The int8 engine on every dense zoo architecture (SmoothQuant alpha 0.5, w8a8: int8 linears, int8 attention BMMs and
 * KV cache) against the simulation of the same scheme, and the compressed-tensors round trip: written, read back,
 * the same logits bit for bit.
 */
class ZooInt8Test {
    @TempDir
    Path tmp;

    static List<String> dense() {
        return ZooLogitsTest.DENSE;
    }

    @ParameterizedTest
    @MethodSource("dense")
    void int8EngineAgreesWithTheSimulationAndRoundTrips(String name) throws Exception {
        Path dir = Fixtures.shared("zoo/" + name);
        Model fp32 = ModelLoader.load(dir);
        Windows calib = ZooSmoothQuantTest.calibration(dir);
        Scheme scheme = Scheme.parse("w8a8");
        SmoothQuant.Result r = SmoothQuant.quantize(fp32, calib, 0.5f, scheme, w -> { });
        Model int8 = Int8Quantizer.quantize(r.smoothed(), scheme, r.smoothedStats(), HeadPrecision.FP32);
        int[] ids;
        float[] golden;
        try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            ids = g.get("input_ids").toInts();
            golden = g.get("logits").toFloats();
        }
        float[] engine = logits(int8, ids, true), simulated = logits(r.quantized(), ids, false);
        double maxAbs = 0, vsSim = 0, vsFp32 = 0, simVsFp32 = 0;
        for (int i = 0; i < golden.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(golden[i]));
            vsSim = Math.max(vsSim, Math.abs(engine[i] - simulated[i]));
            vsFp32 = Math.max(vsFp32, Math.abs(engine[i] - golden[i]));
            simVsFp32 = Math.max(simVsFp32, Math.abs(simulated[i] - golden[i]));
        }
        System.out.printf("%s int8 engine: max|diff| vs simulation %.3g (%.2g of max), vs fp32 %.3g; simulation vs fp32 %.3g%n", name,
                vsSim, vsSim / maxAbs, vsFp32, simVsFp32);
        // the engine rounds Q, K, V per head and P per row where the simulation rounds q/k/v outputs per token, and these
        // random models amplify every rounding: its error against fp32 must stay of the simulation's size (measured
        // 0.87-1.49x the simulation's, the most for post-LN OPT; vs the simulation 1.2-16% of max|logit|)
        assertThat(vsFp32).as(name + " engine vs fp32").isLessThanOrEqualTo(1.6 * simVsFp32);

        Path out = tmp.resolve(name);
        AtomicOutput.writeDir(out, false, d -> CompressedTensorsWriter.write(r, dir,
                new CompressedTensorsWriter.Provenance(name, "zoo calibration", 512, null, null, null), d));
        try (Checkpoint c = Checkpoint.open(out)) {
            Model loaded = CompressedTensorsReader.load(c).model();
            assertThat(logits(loaded, ids, true)).as(name + " round trip").containsExactly(engine);
        }
    }

    private static float[] logits(Model m, int[] ids, boolean int8Engine) {
        Transformer t = new Transformer(m, int8Engine);
        return t.forward(ids, t.newCache(ids.length), true);
    }
}
