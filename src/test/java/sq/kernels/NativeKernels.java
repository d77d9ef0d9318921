package sq.kernels;

import org.junit.jupiter.api.Assumptions;

/** For tests that run on the native kernels: skipped, with a visible SKIPPED line, where they cannot load. */
public final class NativeKernels {

    private NativeKernels() {
    }

    /** Aborts the calling test (visibly) unless the native int8 kernels run on this machine. */
    public static void assume() {
        if (!Int8Kernels.nativeAvailable()) {
            System.out.println("SKIPPED: native int8 kernels: " + Vnni.REASON);
            Assumptions.abort("native int8 kernels: " + Vnni.REASON);
        }
    }

    /** The same, and unless this CPU runs isa. */
    public static void assume(VnniIsa isa) {
        assume();
        if (!VnniIsa.supported().contains(isa)) {
            System.out.println("SKIPPED: native int8 kernels on " + isa + ": this CPU runs " + VnniIsa.supported());
            Assumptions.abort("native int8 kernels on " + isa + ": this CPU runs " + VnniIsa.supported());
        }
    }
}
