package sq.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A bfloat16 embedding table [vocab, dim] that stays where it lies (a slice of the mapped safetensors file): a
 * lookup widens only the row asked for (exact: bf16 -> fp32 is a shift), so a pipeline that embeds a few windows
 * never holds the whole table on the heap (Llama 3's 128256 x 4096 would be 2.1 GB in fp32). The mapping must
 * outlive it.
 */
public record Bf16Embedding(String name, MemorySegment table, int vocab, int dim) implements Embedding {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Bf16Embedding {
        if (table.byteSize() != 2L * vocab * dim)
            throw new IllegalArgumentException(name + ": table of " + table.byteSize() + " bytes != 2 x " + vocab + "x" + dim);
    }

    @Override
    public void lookup(int id, float[] dst, int off) {
        long row = (long) id * dim;
        for (int i = 0; i < dim; i++) dst[off + i] = Float.intBitsToFloat((table.getAtIndex(I16_LE, row + i) & 0xffff) << 16);
    }

    /** A {@link Bf16Linear} over the same mapped rows: weight [vocab, dim] is [out, in]. */
    @Override
    public Linear tiedHead(String name) {
        return new Bf16Linear(name, table, null, dim, vocab);
    }

    /** Mapped bytes (file pages, not heap). */
    @Override
    public long bytes() {
        return table.byteSize();
    }
}
