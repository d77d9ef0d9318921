package sq.io;

import sq.model.DenseLinear;
import sq.model.FloatEmbedding;
import sq.model.Layer;
import sq.model.Llama;
import sq.model.Model;
import sq.model.ModelConfig;
import sq.model.NormWeights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The header as a config, checked against the file size; no weights are read (for memory estimates). */
    public static ModelConfig readConfig(Path file) {
        try (FileChannel ch = open(file); Arena arena = Arena.ofConfined()) {
            return header(file, map(file, ch, arena));
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
    }

    private static FileChannel open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw InputException.of(file, Files.exists(file) ? "not a regular file" : "file not found");
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /** The whole file, mapped until the arena closes (no mapping outlives a read). */
    private static MemorySegment map(Path file, FileChannel ch, Arena arena) throws IOException {
        long size = ch.size();
        if (size < HEADER_INTS * 4L) throw InputException.of(file, "too short for a llama2.c checkpoint (" + size + " bytes)");
        if (size > Integer.MAX_VALUE) throw InputException.of(file, "llama2.c checkpoints over 2 GB are not supported");
        return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    }

    /** Reads and checks the seven header ints; the size the header implies must be the file's (overflow-checked). */
    private static ModelConfig header(Path file, MemorySegment buf) {
        long size = buf.byteSize();
        int dim = buf.get(I32_LE, 0), hidden = buf.get(I32_LE, 4), layers = buf.get(I32_LE, 8), heads = buf.get(I32_LE, 12),
                kvHeads = buf.get(I32_LE, 16), vocabRaw = buf.get(I32_LE, 20), seqLen = buf.get(I32_LE, 24);
        boolean shared = vocabRaw > 0;
        int vocab = vocabRaw == Integer.MIN_VALUE ? -1 : Math.abs(vocabRaw);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0
                || dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0)
            throw InputException.of(file, "not a llama2.c legacy checkpoint: header (dim " + dim + ", hidden " + hidden
                    + ", layers " + layers + ", heads " + heads + ", kv heads " + kvHeads + ", vocab " + vocabRaw
                    + ", seq_len " + seqLen + ") is inconsistent");
        int headDim = dim / heads, kvDim = kvHeads * headDim;
        long expected;
        try {
            long perLayer = Math.addExact(Math.addExact(2L * dim, Math.multiplyExact(2L * dim, (long) dim)),
                    Math.addExact(Math.multiplyExact(2L * dim, (long) kvDim), Math.multiplyExact(3L * dim, (long) hidden)));
            long floats = Math.addExact(Math.addExact(Math.multiplyExact(Math.multiplyExact((long) vocab, dim), shared ? 1L : 2L),
                    Math.multiplyExact((long) layers, perLayer)), dim + (long) seqLen * headDim);
            expected = Math.addExact(HEADER_INTS * 4L, Math.multiplyExact(floats, 4L));
        } catch (ArithmeticException e) {
            throw InputException.of(file, "not a llama2.c legacy checkpoint: header sizes overflow (dim " + dim + ", hidden " + hidden
                    + ", layers " + layers + ", vocab " + vocabRaw + ", seq_len " + seqLen + ")");
        }
        if (size != expected)
            throw InputException.of(file, "size " + size + " bytes does not match its header (expected " + expected + ")");
        return new ModelConfig(new Llama(), dim, layers, heads, kvHeads, headDim, hidden, vocab, seqLen,
                1e-5f, 10000.0, shared, 1, 2);
    }

    public static Model read(Path file) {
        try (FileChannel ch = open(file); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = map(file, ch, arena);
            ModelConfig cfg = header(file, buf);
            // The header matched the file size exactly, so every count below is < 2^29 and int products cannot overflow.
            int dim = cfg.hidden(), hidden = cfg.intermediate(), layers = cfg.layers(), heads = cfg.heads(),
                    kvHeads = cfg.kvHeads(), vocab = cfg.vocab(), seqLen = cfg.maxPositions(), headDim = cfg.headDim(),
                    kvDim = cfg.kvDim();
            boolean shared = cfg.tiedEmbeddings();
            Floats f = new Floats(buf, HEADER_INTS * 4L);
            float[] embed = take(file, f, vocab * dim, "token_embedding_table", "model.embed_tokens.weight", dim);
            float[] attNorm = take(file, f, layers * dim, "rms_att_weight", "input_layernorm.weight", dim);
            float[] wq = take(file, f, layers * dim * dim, "wq", "self_attn.q_proj.weight", dim * dim);
            float[] wk = take(file, f, layers * kvDim * dim, "wk", "self_attn.k_proj.weight", kvDim * dim);
            float[] wv = take(file, f, layers * kvDim * dim, "wv", "self_attn.v_proj.weight", kvDim * dim);
            float[] wo = take(file, f, layers * dim * dim, "wo", "self_attn.o_proj.weight", dim * dim);
            float[] ffnNorm = take(file, f, layers * dim, "rms_ffn_weight", "post_attention_layernorm.weight", dim);
            float[] w1 = take(file, f, layers * hidden * dim, "w1", "mlp.gate_proj.weight", hidden * dim);
            float[] w2 = take(file, f, layers * dim * hidden, "w2", "mlp.down_proj.weight", dim * hidden);
            float[] w3 = take(file, f, layers * hidden * dim, "w3", "mlp.up_proj.weight", hidden * dim);
            float[] finalNorm = take(file, f, dim, "rms_final_weight", "model.norm.weight", dim);
            f.skip((long) seqLen * headDim); // freq_cis tables: recomputed by the engine
            FloatEmbedding embedding = new FloatEmbedding(embed, vocab, dim);
            float[] cls = shared ? null : take(file, f, vocab * dim, "wcls", "lm_head.weight", dim);

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
            return new Model(cfg, embedding, null, ls, new NormWeights("model.norm", finalNorm, null),
                    shared ? embedding.tiedHead("lm_head") : new DenseLinear("lm_head", cls, null, dim, vocab));
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "file not found");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
    }

    /**
     * The next n floats, which must all be finite: a NaN or infinity is reported with the llama2.c array, the layer
     * and the Hugging Face tensor name it becomes, and the flat index within that tensor.
     */
    private static float[] take(Path file, Floats f, int n, String array, String hfName, int perLayer) {
        float[] a = f.next(n);
        int bad = sq.io.TensorSlice.firstNonFinite(a);
        if (bad >= 0) {
            boolean layered = !hfName.startsWith("model.") && !hfName.startsWith("lm_head");
            String where = layered ? "layer " + bad / perLayer + " (model.layers." + bad / perLayer + "." + hfName + ")"
                    : "(" + hfName + ")";
            throw InputException.of(file, "llama2.c array " + array + " " + where + " has " + a[bad] + " at flat index "
                    + (bad % perLayer) + " (llama2.c layout); the weights are corrupt");
        }
        return a;
    }

    /** A little-endian float cursor over the mapped file. */
    private static final class Floats {
        private final MemorySegment seg;
        private long pos;

        Floats(MemorySegment seg, long pos) {
            this.seg = seg;
            this.pos = pos;
        }

        float[] next(int n) {
            float[] a = new float[n];
            MemorySegment.copy(seg, F32_LE, pos, a, 0, n);
            pos += 4L * n;
            return a;
        }

        void skip(long floats) {
            pos += 4 * floats;
        }
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
