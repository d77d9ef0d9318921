package sq.io;

import sq.model.DenseLinear;
import sq.model.Layer;
import sq.model.Llama;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * karpathy/llama2.c checkpoints (legacy v0: seven int32 header fields, then float32 arrays) as a Llama {@link Model}.
 * llama2.c rotates interleaved pairs (2i, 2i+1); Hugging Face rotates halves (i, i + d/2), so the rows of wq and
 * wk are permuted per head to keep one RoPE in the engine.
 */
public final class Llama2cReader {
    private static final int HEADER_INTS = 7;

    private Llama2cReader() {
    }

    public static Model read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_INTS * 4L) throw InputException.of(file, "too short for a llama2.c checkpoint (" + size + " bytes)");
            if (size > Integer.MAX_VALUE) throw InputException.of(file, "llama2.c checkpoints over 2 GB are not supported");
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN);
            int dim = buf.getInt(), hidden = buf.getInt(), layers = buf.getInt(), heads = buf.getInt(),
                    kvHeads = buf.getInt(), vocabRaw = buf.getInt(), seqLen = buf.getInt();
            boolean shared = vocabRaw > 0;
            int vocab = Math.abs(vocabRaw);
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0
                    || dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0)
                throw InputException.of(file, "not a llama2.c legacy checkpoint: header (dim " + dim + ", hidden " + hidden
                        + ", layers " + layers + ", heads " + heads + ", kv heads " + kvHeads + ", vocab " + vocabRaw
                        + ", seq_len " + seqLen + ") is inconsistent");
            int headDim = dim / heads, kvDim = kvHeads * headDim;
            long floats = (long) vocab * dim + layers * (2L * dim + (long) dim * dim * 2 + 2L * dim * kvDim + 3L * dim * hidden)
                    + dim + (long) seqLen * headDim + (shared ? 0 : (long) vocab * dim);
            long expected = HEADER_INTS * 4L + floats * 4;
            if (size != expected)
                throw InputException.of(file, "size " + size + " bytes does not match its header (expected " + expected + ")");
            FloatBuffer f = buf.position(HEADER_INTS * 4).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] embed = take(f, vocab * dim);
            float[] attNorm = take(f, layers * dim);
            float[] wq = take(f, layers * dim * dim), wk = take(f, layers * kvDim * dim), wv = take(f, layers * kvDim * dim);
            float[] wo = take(f, layers * dim * dim);
            float[] ffnNorm = take(f, layers * dim);
            float[] w1 = take(f, layers * hidden * dim), w2 = take(f, layers * dim * hidden), w3 = take(f, layers * hidden * dim);
            float[] finalNorm = take(f, dim);
            f.position(f.position() + seqLen * headDim); // freq_cis tables: recomputed by the engine
            float[] cls = shared ? embed : take(f, vocab * dim);

            ModelConfig cfg = new ModelConfig(new Llama(), dim, layers, heads, kvHeads, headDim, hidden, vocab, seqLen,
                    1e-5f, 10000.0, shared, 1, 2);
            List<Layer> ls = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                var n = cfg.architecture().layer(l);
                ls.add(new Layer(new NormWeights(n.attnNorm(), slice(attNorm, l, dim), null), null, null,
                        new NormWeights(n.mlpNorm(), slice(ffnNorm, l, dim), null),
                        new DenseLinear(n.q(), interleavedToHalves(slice(wq, l, dim * dim), heads, headDim, dim), null, dim, dim),
                        new DenseLinear(n.k(), interleavedToHalves(slice(wk, l, kvDim * dim), kvHeads, headDim, dim), null, dim, kvDim),
                        new DenseLinear(n.v(), slice(wv, l, kvDim * dim), null, dim, kvDim),
                        new DenseLinear(n.o(), slice(wo, l, dim * dim), null, dim, dim),
                        new DenseLinear(n.gate(), slice(w1, l, hidden * dim), null, dim, hidden),
                        new DenseLinear(n.up(), slice(w3, l, hidden * dim), null, dim, hidden),
                        new DenseLinear(n.down(), slice(w2, l, dim * hidden), null, hidden, dim)));
            }
            return new Model(cfg, embed, null, ls, new NormWeights("model.norm", finalNorm, null),
                    new DenseLinear("lm_head", cls, null, dim, vocab));
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "file not found");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
    }

    private static float[] take(FloatBuffer f, int n) {
        float[] a = new float[n];
        f.get(a);
        return a;
    }

    private static float[] slice(float[] all, int layer, int n) {
        float[] a = new float[n];
        System.arraycopy(all, layer * n, a, 0, n);
        return a;
    }

    /** Row h*hd + 2i + r (llama2.c) moves to row h*hd + r*hd/2 + i (rotate-half); rows are [in] wide. */
    static float[] interleavedToHalves(float[] w, int heads, int headDim, int in) {
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int r = 0; r < 2; r++)
                    System.arraycopy(w, (h * headDim + 2 * i + r) * in, out, (h * headDim + r * half + i) * in, in);
        return out;
    }
}
