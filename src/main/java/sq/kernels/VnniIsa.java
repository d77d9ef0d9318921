package sq.kernels;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The instruction sets the native int8 kernels run on: AVX-512 VNNI (512-bit vpdpbusd) or AVX-VNNI (the 256-bit
 * VEX form of AVX2 machines without AVX-512). Both give the same int32 sums, so the choice changes speed only. At
 * start-up the best one this CPU has runs (AVX-512 VNNI where both are there), or the one $SQ_KERNELS names
 * ({@code avx512-vnni}, {@code avx-vnni}) where the CPU has it; {@code --kernels} chooses again (sq.cli).
 */
public enum VnniIsa {
    AVX512_VNNI("avx512-vnni", 1),
    AVX_VNNI("avx-vnni", 2);

    /** What the log line and {@code --kernels} call it. */
    public final String label;
    /** Its bit in the library's sq_vnni_isas() and its argument to sq_vnni_select(). */
    final int bit;

    VnniIsa(String label, int bit) {
        this.label = label;
        this.bit = bit;
    }

    /** Why the native kernels do not run on a CPU with neither. */
    static final String NO_VNNI = "no VNNI on this CPU (AVX-512 F/BW/VL + VNNI, or AVX2 + AVX-VNNI, needed)";

    /** The set with this label (any case), or null: the {@code --kernels} values beside java, native and auto. */
    public static VnniIsa parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (VnniIsa isa : values()) if (isa.label.equals(t)) return isa;
        return null;
    }

    /**
     * What runs on a CPU with these sq_vnni_isas() bits: the set wanted names, where the CPU has it, else the best
     * one it has; null where it has neither ({@link #NO_VNNI}).
     */
    static VnniIsa choose(int bits, VnniIsa wanted) {
        if (wanted != null && (bits & wanted.bit) != 0) return wanted;
        for (VnniIsa isa : values()) if ((bits & isa.bit) != 0) return isa;
        return null;
    }

    /** The sets this CPU runs (empty where the library did not load). */
    public static Set<VnniIsa> supported() {
        Set<VnniIsa> s = EnumSet.noneOf(VnniIsa.class);
        for (VnniIsa isa : values()) if ((Vnni.CPU_ISAS & isa.bit) != 0) s.add(isa);
        return s;
    }

    /** The set the native kernels run on, or null where they cannot run ({@link Int8Kernels#describe} says why). */
    public static VnniIsa current() {
        return Vnni.AVAILABLE ? Vnni.selected() : null;
    }

    /** The best set this CPU runs, or null. */
    public static VnniIsa best() {
        return choose(Vnni.CPU_ISAS, null);
    }

    /**
     * Makes the native kernels run on isa from now on (call it while none run). Where the library cannot run, or this
     * CPU lacks isa, an IllegalStateException saying why: forcing it means the user wants to know.
     */
    public static synchronized void use(VnniIsa isa) {
        if (!Vnni.AVAILABLE) throw new IllegalStateException("native int8 kernels cannot run: " + Vnni.REASON);
        if ((Vnni.CPU_ISAS & isa.bit) == 0) throw new IllegalStateException("this CPU has no " + isa.label + " (it runs " + supported() + ")");
        Vnni.select(isa);
    }

    @Override
    public String toString() {
        return label;
    }
}
