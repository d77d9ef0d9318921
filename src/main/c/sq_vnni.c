/*
 * sq's native int8 micro-kernels, called from Java through FFM (sq.kernels.Vnni): the exported functions. Each
 * sends the call to the instruction set sq_vnni_select chose, AVX-512 VNNI (sq_avx512.c, the default) or AVX-VNNI
 * (sq_avxvnni.c); both give the same int32 sums, equal to the pure-Java kernels' bit for bit.
 *
 * This file is compiled for plain x86-64: sq_vnni_isas() and the constants run on any CPU, and Java calls nothing
 * else before sq_vnni_select() accepted an instruction set this CPU has.
 *
 * All pointers are Java heap arrays (Linker.Option.critical) or off-heap memory, plus int offsets; nothing is
 * allocated here.
 */
#include <cpuid.h>
#include "sq_vnni.h"

/* ABI version: the Java side refuses a library whose layout constants or functions it does not expect. */
int32_t sq_vnni_version(void) { return 2; }

int32_t sq_vnni_strip(void) { return NR; }

int32_t sq_vnni_kc(void) { return KC; }

/*
 * Bits SQ_AVX512_VNNI (AVX-512 F/BW/VL + VNNI) and SQ_AVX_VNNI (AVX2 + AVX-VNNI) that this CPU and OS run: libgcc
 * checks CPUID and that the OS saves ymm/zmm state. AVX-VNNI is CPUID leaf 7 subleaf 1, EAX bit 4, read directly.
 */
int32_t sq_vnni_isas(void) {
    __builtin_cpu_init();
    int bits = 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512vnni"))
        bits |= SQ_AVX512_VNNI;
    unsigned a, b, c, d;
    if (__builtin_cpu_supports("avx2") && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4))) bits |= SQ_AVX_VNNI;
    return bits;
}

static int isa = SQ_AVX512_VNNI;

/* Makes every call below run on isa (SQ_AVX512_VNNI or SQ_AVX_VNNI); 0, changing nothing, if this CPU lacks it. */
int32_t sq_vnni_select(int32_t which) {
    if ((which != SQ_AVX512_VNNI && which != SQ_AVX_VNNI) || !(sq_vnni_isas() & which)) return 0;
    isa = which;
    return 1;
}

/* The instruction set the calls run on. */
int32_t sq_vnni_selected(void) { return isa; }

#define DISPATCH(name, ...) (isa == SQ_AVX_VNNI ? sq_avxvnni_##name(__VA_ARGS__) : sq_avx512_##name(__VA_ARGS__))

/* xu[dst + t*ldu + i] = x[src + t*ldx + i] + 128 (as unsigned) for i < k, 0 for k <= i < ldu = ldu_of(k); t < T. */
void sq_vnni_offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst) {
    DISPATCH(offset_x, x, src, ldx, T, k, xu, dst);
}

/*
 * One strip: c[t*NR + j] = dot(x row t, w row j) for t < T, j < cols (columns cols..NR-1 are 0), w rows at
 * w[wOff + j*ldw], xu from sq_vnni_offset_x (rows of ldu_of(k) bytes at xu[xuOff]). W is packed block by block
 * into wp (NR*KC bytes of scratch) and swept by all tokens while it sits in L1.
 */
void sq_vnni_gemm(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k,
                  int32_t cols, int32_t *c, int8_t *wp) {
    DISPATCH(gemm, xu, xuOff, T, w, wOff, ldw, k, cols, c, wp);
}

/*
 * Packs W [out, k] (rows at w[wOff + o*ldw]) once: strips [s0, s1), strip s block b at wp[(s*blocks + b)*NR*KC] as
 * wp[(q*NR + c)*4 + j] = w[row c, input 4q + j] (0 past the block or past out); colsum [strips*NR].
 */
void sq_vnni_pack(const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t out, int32_t s0, int32_t s1, int8_t *wp,
                  int32_t *colsum) {
    DISPATCH(pack, w, wOff, ldw, k, out, s0, s1, wp, colsum);
}

/* The strip s of weights packed by sq_vnni_pack, as sq_vnni_gemm computes it. */
void sq_vnni_gemm_packed(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *wp, const int32_t *colsum, int32_t s,
                         int32_t k, int32_t *c) {
    DISPATCH(gemm_packed, xu, xuOff, T, wp, colsum, s, k, c);
}

/* Decode: acc[j] = dot(x, W row j) for j < n, rows at w[wOff + j*ldw], x offset (xu, k bytes at xu[xuOff]). */
void sq_vnni_gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t n,
                  int32_t *acc) {
    DISPATCH(gemv, xu, xuOff, w, wOff, ldw, k, n, acc);
}

/*
 * The instruction's peak on this thread: iterations x 1024 independent multiply-adds (16 vpdpbusd of 512 bits, or
 * 32 of 256), with enough accumulators to cover the latency. Returns a value that depends on every accumulator.
 */
int32_t sq_vnni_peak(int64_t iterations) {
    return DISPATCH(peak, iterations);
}
