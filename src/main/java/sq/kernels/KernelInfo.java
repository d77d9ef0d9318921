package sq.kernels;

import jdk.incubator.vector.FloatVector;

/** One line saying which kernels and vector width run, for the CLI to log at start-up. */
public final class KernelInfo {

    private KernelInfo() {
    }

    /**
     * E.g. "fp32 GEMM 8x32 tiles (tokens x outputs, k blocks of 256), GEMV 4 rows/pass, int8 GEMM 4x32 tiles (3 products
     * per 64-bit multiply), int8 GEMV 4 rows/pass, FloatVector 512-bit (16 lanes), 2 threads".
     */
    public static String describe() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String s = "fp32 GEMM " + GemmKernel.ROWS + "x" + GemmKernel.COLS + " tiles (tokens x outputs, k blocks of "
                + Gemm.KC + "), GEMV " + Gemv.ROWS + " rows/pass, "
                + "int8 GEMM " + Int8GemmKernel.ROWS + "x" + Int8GemmKernel.COLS + " tiles (3 products per 64-bit multiply), int8 GEMV " + Int8Gemv.ROWS + " rows/pass (int16 pair products), "
                + "FloatVector " + bits + "-bit (" + FloatVector.SPECIES_PREFERRED.length() + " lanes), "
                + Parallel.threads() + (Parallel.threads() == 1 ? " thread" : " threads");
        if (bits < 256) s += " (warning: vectors narrower than 256 bits, kernels will be slow)";
        return s;
    }
}
