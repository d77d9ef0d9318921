package sq.cli;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/**
 * Hands the heap that building an int8 model needed back to the operating system, and keeps it small from then on.
 * Quantizing goes through the model one float layer at a time (gigabytes of garbage for a 1B model) into int8
 * weights a quarter of that size; G1 by default keeps up to 70% of its heap free after a collection (and 40% at
 * least), so the process would stay at several times the size of what it runs. For the int8 engine, whose point is
 * a small footprint and which allocates little while it runs, it keeps 2-5% free instead (MinHeapFreeRatio /
 * MaxHeapFreeRatio, manageable at run time) and collects once. The fp32 engine keeps the JVM's defaults: its
 * prefill measured a few percent slower with a heap kept this tight.
 */
final class HeapTrim {
    private HeapTrim() {
    }

    static void afterInt8Build() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            vm.setVMOption("MinHeapFreeRatio", "2"); // min first: each step must keep min <= max
            vm.setVMOption("MaxHeapFreeRatio", "5");
        } catch (RuntimeException e) {
            // not HotSpot, or the options are not settable here: the collection below still frees what it can
        }
        System.gc();
    }
}
