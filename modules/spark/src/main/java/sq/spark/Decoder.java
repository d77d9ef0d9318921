package sq.spark;

import sq.io.Checkpoint;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.tokenizer.Tokenizer;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A decoder model for the batch transformations (LogLikelihood, Generation): a Hugging Face folder every executor
 * must be able to read, and the engine to run it on; built once per executor JVM and shared read-only by its tasks.
 *
 * @param model  the Hugging Face model folder (config.json, *.safetensors, tokenizer.json)
 * @param scheme the int8 engine's scheme (naive W8A8, no smoothing, as ./sq --engine int8 without --calib: w8a8,
 *               O1..O3), or "fp32"
 */
public record Decoder(String model, String scheme) implements Serializable {
    record Loaded(Path dir, Model model, Tokenizer tokenizer, boolean int8Engine) {
        /** An engine over the shared model: per task, since its scratch is its own. */
        Transformer engine() {
            return new Transformer(model, int8Engine);
        }
    }

    private static final Map<Decoder, Loaded> LOADED = new ConcurrentHashMap<>();

    Loaded loaded() {
        return LOADED.computeIfAbsent(this, Decoder::load);
    }

    private static Loaded load(Decoder d) {
        Path dir = Path.of(d.model());
        Model fp32;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            fp32 = new ModelLoader(ckpt).checkTensors().load();
        }
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        if (d.scheme().equals("fp32")) return new Loaded(dir, fp32, tok, false);
        Scheme s = Scheme.parse(d.scheme());
        return new Loaded(dir, Int8Models.streamNaive(LayerSource.of(fp32), s, HeadPrecision.parse("int8")), tok, s.bmm());
    }
}
