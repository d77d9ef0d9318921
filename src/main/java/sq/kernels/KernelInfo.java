package sq.kernels;

import jdk.incubator.vector.FloatVector;

/** One line saying which kernels and vector width run, for the CLI to log at start-up. */
public final class KernelInfo {

    private KernelInfo() {
    }

    /** Which int8 path runs: "native avx512-vnni", "native avx-vnni", or "pure Java: " and why ({@link Int8Kernels#describe}). */
    public static String int8() {
        return Int8Kernels.describe();
    }

    /**
     * E.g. "int8 native avx512-vnni (GEMM 6x64 tiles, GEMV row by row, vpdpbusd), fp32 GEMM 8x32 tiles (tokens x
     * outputs, k blocks of 256), GEMV 4 rows/pass, FloatVector 512-bit (16 lanes), 2 threads", or with "int8 pure Java:
     * no VNNI on this CPU, int8 GEMM 4x32 tiles (3 products per 64-bit multiply), int8 GEMV 2 rows/pass ..." first.
     */
    public static String describe() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String int8 = !Int8Kernels.isNative() ? "int8 " + int8() + ", int8 GEMM " + Int8GemmKernel.ROWS + "x" + Int8GemmKernel.COLS
                  + " tiles (3 products per 64-bit multiply), int8 GEMV " + Int8Gemv.ROWS + " rows/pass (int16 pair products)"
                : Vnni.selected() == VnniIsa.AVX_VNNI
                ? "int8 " + int8() + " (GEMM 6x16 tiles, 4 per " + Vnni.NR + "-output strip, GEMV row by row, 256-bit vpdpbusd)"
                : "int8 " + int8() + " (GEMM 6x" + Vnni.NR + " tiles, GEMV row by row, vpdpbusd)";
        String s = int8 + ", fp32 GEMM " + GemmKernel.ROWS + "x" + GemmKernel.COLS + " tiles (tokens x outputs, k blocks of "
                + Gemm.KC + "), GEMV " + Gemv.ROWS + " rows/pass, "
                + "FloatVector " + bits + "-bit (" + FloatVector.SPECIES_PREFERRED.length() + " lanes), "
                + Parallel.threads() + (Parallel.threads() == 1 ? " thread" : " threads");
        if (bits < 256) s += " (warning: vectors narrower than 256 bits, kernels will be slow)";
        return s;
    }
}
