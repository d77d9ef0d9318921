package sq.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Streaming-read bandwidth: all {@link Parallel} threads sum disjoint parts of a large off-heap buffer, best of a few
 * runs. This is the bound for decode, which streams every weight once per token; the buffer is far bigger than the
 * last-level cache so it measures memory, not cache. Off-heap so it does not compete with a loaded model for heap.
 */
public final class Bandwidth {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** 1 GiB: ~30x the L3 of a typical desktop/server part. */
    public static final long DEFAULT_BYTES = 1L << 30;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Keeps the sums alive so the reads cannot be optimized away. */
    private static volatile float sink;

    private Bandwidth() {
    }

    /** GB/s (10^9 bytes per second) over DEFAULT_BYTES, best of 5 runs. */
    public static double measure() {
        return measure(DEFAULT_BYTES, 5);
    }

    /** GB/s (10^9 bytes per second) of the fastest of {@code runs} full reads of a buffer of about {@code bytes}. */
    public static double measure(long bytes, int runs) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(bytes, 64); // zero-filled: every page is touched before timing
            long best = Long.MAX_VALUE;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                sink = read(buf);
                best = Math.min(best, System.nanoTime() - t0);
            }
            return (double) bytes / best;
        }
    }

    /**
     * One streaming pass over {@code buf} by all {@link Parallel} threads (at most a few vectors at the end of each
     * thread's part are skipped); returns the sum of the floats so the reads cannot be optimized away. The segment
     * must be accessible from any thread (e.g. a shared arena's).
     */
    public static float read(MemorySegment buf) {
        long size = buf.byteSize();
        int parts = Parallel.threads();
        float[] sums = new float[parts];
        Parallel.forRange(parts, (p0, p1) -> {
            for (int p = p0; p < p1; p++) sums[p] = sum(buf, size * p / parts, size * (p + 1) / parts);
        });
        float total = 0;
        for (float s : sums) total += s;
        return total;
    }

    /**
     * Sum of the floats in bytes [from, to), read as four contiguous streams in lockstep: like GEMV's weight rows,
     * several streams per core keep more requests in flight than one (~5% more here).
     */
    private static float sum(MemorySegment buf, long from, long to) {
        long vb = S.vectorByteSize(), stride = (to - from) / 4 / vb * vb;
        long s1 = from + stride, s2 = s1 + stride, s3 = s2 + stride;
        FloatVector a = FloatVector.zero(S), b = a, c = a, d = a;
        for (long i = 0; i < stride; i += vb) {
            a = a.add(FloatVector.fromMemorySegment(S, buf, from + i, ORDER));
            b = b.add(FloatVector.fromMemorySegment(S, buf, s1 + i, ORDER));
            c = c.add(FloatVector.fromMemorySegment(S, buf, s2 + i, ORDER));
            d = d.add(FloatVector.fromMemorySegment(S, buf, s3 + i, ORDER));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
