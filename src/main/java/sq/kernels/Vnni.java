package sq.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The native VNNI kernels of src/main/c/sq_vnni.c, bound through FFM; the library runs them on the instruction set
 * {@link VnniIsa} chose (AVX-512 VNNI or AVX-VNNI, the same results). Calls are critical
 * ({@link Linker.Option#critical}(true)): no thread-state transition, and Java heap arrays are passed in place, not
 * copied. Each call is short (one strip of outputs, or one chunk of rows), so a GC waits at most that long.
 *
 * <p>{@link #AVAILABLE} is false, with {@link #REASON} saying why, where the library is absent, cannot be loaded, is
 * of another version, or the CPU has neither AVX-512 VNNI nor AVX-VNNI; nothing else here may be called then.
 */
final class Vnni {

    /** Output features per GEMM strip, and inputs per k block of packed weights (the C side's NR and KC). */
    static final int NR = 64, KC = 256;
    private static final int VERSION = 2;

    static final boolean AVAILABLE;
    /** Why the native kernels do not run ("no VNNI on this CPU", "library not loadable: ..."), or null. */
    static final String REASON;
    /** A line to log once (a replaced cache file), or null. */
    static final String NOTE;
    /** The library's sq_vnni_isas(): bits of the {@link VnniIsa}s this CPU runs (0 where the library did not load). */
    static final int CPU_ISAS;

    private static final MethodHandle OFFSET_X, GEMM, PACK, GEMM_PACKED, GEMV, PEAK, SELECT, SELECTED;

    static {
        NativeLibrary.Result r = NativeLibrary.load();
        String reason = r.reason() == null ? null : "library not loadable: " + r.reason();
        MethodHandle[] h = new MethodHandle[8];
        int isas = 0;
        if (reason == null) {
            try {
                SymbolLookup l = r.lookup();
                int version = (int) handle(l, "sq_vnni_version", FunctionDescriptor.of(JAVA_INT)).invokeExact();
                int nr = (int) handle(l, "sq_vnni_strip", FunctionDescriptor.of(JAVA_INT)).invokeExact();
                int kc = (int) handle(l, "sq_vnni_kc", FunctionDescriptor.of(JAVA_INT)).invokeExact();
                if (version != VERSION || nr != NR || kc != KC) {
                    reason = "library not loadable: " + r.path() + " is version " + version + " (strip " + nr + ", block " + kc
                            + "), this code wants " + VERSION + " (" + NR + ", " + KC + ")";
                } else if ((isas = (int) handle(l, "sq_vnni_isas", FunctionDescriptor.of(JAVA_INT)).invokeExact()) == 0) {
                    reason = VnniIsa.NO_VNNI;
                } else {
                    h[0] = handle(l, "sq_vnni_offset_x", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
                    h[1] = handle(l, "sq_vnni_gemm", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                            JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
                    h[2] = handle(l, "sq_vnni_pack", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                            JAVA_INT, ADDRESS, ADDRESS));
                    h[3] = handle(l, "sq_vnni_gemm_packed", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                            JAVA_INT, JAVA_INT, ADDRESS));
                    h[4] = handle(l, "sq_vnni_gemv", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                            JAVA_INT, ADDRESS));
                    h[5] = handle(l, "sq_vnni_peak", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
                    h[6] = handle(l, "sq_vnni_select", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
                    h[7] = handle(l, "sq_vnni_selected", FunctionDescriptor.of(JAVA_INT));
                    String env = System.getenv(Int8Kernels.ENV);
                    VnniIsa isa = VnniIsa.choose(isas, env == null ? null : VnniIsa.parse(env));
                    if ((int) h[6].invokeExact(isa.bit) != 1) throw new IllegalStateException("sq_vnni_select refused " + isa);
                }
            } catch (Throwable e) { // a missing symbol, or a JVM that refuses native access
                reason = "library not loadable: " + r.path() + ": " + e;
            }
        }
        AVAILABLE = reason == null;
        REASON = reason;
        NOTE = r.note();
        CPU_ISAS = reason == null ? isas : 0;
        OFFSET_X = h[0];
        GEMM = h[1];
        PACK = h[2];
        GEMM_PACKED = h[3];
        GEMV = h[4];
        PEAK = h[5];
        SELECT = h[6];
        SELECTED = h[7];
    }

    private Vnni() {
    }

    private static MethodHandle handle(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new IllegalStateException("no symbol " + name));
        return Linker.nativeLinker().downcallHandle(symbol, fd, Linker.Option.critical(true));
    }

    /** Runs every kernel below on isa (one this CPU has: {@link VnniIsa#use} checks). */
    static void select(VnniIsa isa) {
        try {
            if ((int) SELECT.invokeExact(isa.bit) != 1) throw new IllegalStateException("sq_vnni_select refused " + isa);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The instruction set the kernels run on. */
    static VnniIsa selected() {
        try {
            return (int) SELECTED.invokeExact() == VnniIsa.AVX_VNNI.bit ? VnniIsa.AVX_VNNI : VnniIsa.AVX512_VNNI;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Row stride of offset activations: k rounded up to whole groups of 4. */
    static int ldu(int k) {
        return (k + 3) & ~3;
    }

    /** xu[dst + t*ldu(k) + i] = x[src + t*ldx + i] + 128 (unsigned) for i &lt; k, zero up to ldu(k); t &lt; T. */
    static void offsetX(byte[] x, int src, int ldx, int T, int k, byte[] xu, int dst) {
        try {
            OFFSET_X.invokeExact(MemorySegment.ofArray(x), src, ldx, T, k, MemorySegment.ofArray(xu), dst);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * c[t*NR + j] = dot(x row t, w row j) for t &lt; T, j &lt; cols &lt;= NR (zero for cols &lt;= j &lt; NR); x as
     * {@link #offsetX} wrote it at xu[xuOff], w rows at w[wOff + j*ldw] (a heap array or native memory, e.g. a mapped
     * file); wp is NR*KC bytes of scratch.
     */
    static void gemm(byte[] xu, int xuOff, int T, MemorySegment w, int wOff, int ldw, int k, int cols, int[] c, byte[] wp) {
        try {
            GEMM.invokeExact(MemorySegment.ofArray(xu), xuOff, T, w, wOff, ldw, k, cols, MemorySegment.ofArray(c),
                    MemorySegment.ofArray(wp));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Packs strips [s0, s1) of W [out, k] (rows at w[wOff + o*ldw]) for {@link #gemmPacked}. */
    static void pack(byte[] w, int wOff, int ldw, int k, int out, int s0, int s1, byte[] wp, int[] colSums) {
        try {
            PACK.invokeExact(MemorySegment.ofArray(w), wOff, ldw, k, out, s0, s1, MemorySegment.ofArray(wp), MemorySegment.ofArray(colSums));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #gemm} of strip s of weights packed by {@link #pack}. */
    static void gemmPacked(byte[] xu, int xuOff, int T, byte[] wp, int[] colSums, int s, int k, int[] c) {
        try {
            GEMM_PACKED.invokeExact(MemorySegment.ofArray(xu), xuOff, T, MemorySegment.ofArray(wp), MemorySegment.ofArray(colSums), s, k,
                    MemorySegment.ofArray(c));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** acc[j] = dot(x, W row j) for j &lt; n, rows at w[wOff + j*ldw] (heap or native), x offset at xu[xuOff] (k bytes). */
    static void gemv(byte[] xu, int xuOff, MemorySegment w, int wOff, int ldw, int k, int n, int[] acc) {
        try {
            GEMV.invokeExact(MemorySegment.ofArray(xu), xuOff, w, wOff, ldw, k, n, MemorySegment.ofArray(acc));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** iterations x 1024 independent multiply-adds (16 vpdpbusd of 512 bits, or 32 of 256): the instruction's peak on this thread. */
    static int peak(long iterations) {
        try {
            return (int) PEAK.invokeExact(iterations);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
