package sq.kernels;

/**
 * Int8 weights [out, in] packed once into the GEMM's triple layout ({@link Int8Packer}), so a prefill does not
 * re-pack them on every call: per strip of {@link Int8GemmKernel#COLS} output features and per block of
 * {@link Int8Gemm#KC} inputs, {@link Int8Gemm#KT} x COLS longs. That is 8 bytes per 3 weights, 2.7x the int8 bytes:
 * worth it where T is small and the model is too (an encoder runs ~80-token sentences, where packing was ~20% of the
 * time), not for a 1.1B decoder whose prefill amortizes packing over hundreds of tokens.
 */
public final class Int8PackedWeights {
    private static final int COLS = Int8GemmKernel.COLS, BLOCK = Int8Gemm.KT * COLS;

    private final long[] data;
    private final byte[] vnni;
    private final int[] colSums;
    private final int in, out, blocks;

    private Int8PackedWeights(long[] data, byte[] vnni, int[] colSums, int in, int out, int blocks) {
        this.data = data;
        this.vnni = vnni;
        this.colSums = colSums;
        this.in = in;
        this.out = out;
        this.blocks = blocks;
    }

    /** Packs W [out, in] (int8, row-major, at w[wOff]); w is not kept. */
    public static Int8PackedWeights of(byte[] w, int wOff, int in, int out) {
        Int8MatMul.checkShapes(new byte[0], 0, w, wOff, in, out);
        if (Int8Kernels.isNative()) return ofNative(w, wOff, in, out);
        int strips = (out + COLS - 1) / COLS, blocks = (in + Int8Gemm.KC - 1) / Int8Gemm.KC;
        long[] data = new long[Math.multiplyExact(Math.multiplyExact(strips, blocks), BLOCK)];
        Parallel.forRange(strips, (long) in * out, (s0, s1) -> {
            long[] tile = new long[BLOCK];
            for (int strip = s0; strip < s1; strip++) {
                int o = strip * COLS, cols = Math.min(COLS, out - o);
                for (int b = 0; b < blocks; b++) {
                    int kb = b * Int8Gemm.KC, r = Math.min(Int8Gemm.KC, in - kb);
                    Int8Packer.packW(w, wOff + o * in + kb, in, cols, r, tile);
                    System.arraycopy(tile, 0, data, (strip * blocks + b) * BLOCK, Int8Packer.triples(r) * COLS);
                }
            }
        });
        return new Int8PackedWeights(data, null, null, in, out, blocks);
    }

    private static Int8PackedWeights ofNative(byte[] w, int wOff, int in, int out) {
        int strips = (out + Vnni.NR - 1) / Vnni.NR, blocks = (in + Vnni.KC - 1) / Vnni.KC;
        byte[] wp = new byte[Math.multiplyExact(Math.multiplyExact(strips, blocks), Vnni.NR * Vnni.KC)];
        int[] colSums = new int[strips * Vnni.NR];
        Parallel.forRange(strips, (long) in * out, (s0, s1) -> Vnni.pack(w, wOff, in, in, out, s0, s1, wp, colSums));
        return new Int8PackedWeights(null, wp, colSums, in, out, blocks);
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    /** Bytes held. */
    public long bytes() {
        return data != null ? 8L * data.length : vnni.length + 4L * colSums.length;
    }

    /** Whether this holds the native kernels' layout ({@link #vnni}, {@link #colSums}) rather than triples ({@link #data}). */
    boolean isNative() {
        return vnni != null;
    }

    byte[] vnni() {
        return vnni;
    }

    int[] colSums() {
        return colSums;
    }

    long[] data() {
        return data;
    }

    /** Where the packed block b of strip starts. */
    int offset(int strip, int b) {
        return (strip * blocks + b) * BLOCK;
    }
}
