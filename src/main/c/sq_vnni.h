/*
 * Internal to libsqvnni.so: what the kernels of both instruction sets share. sq_vnni.c exports the functions Java
 * binds and sends each call to the set chosen by sq_vnni_select: sq_avx512.c (AVX-512 VNNI, 512-bit vpdpbusd) or
 * sq_avxvnni.c (AVX-VNNI, the 256-bit VEX vpdpbusd of AVX2 machines). Both pack weights into the same layout, so
 * packed weights and results do not depend on which set ran; both give the pure-Java kernels' int32 sums bit for bit.
 */
#ifndef SQ_VNNI_H
#define SQ_VNNI_H

#include <stdint.h>

#define INLINE static inline __attribute__((always_inline))
#define HIDDEN __attribute__((visibility("hidden")))

/* GEMM strip: 64 output features; k blocks of KC inputs; tiles of MR tokens. */
#define NR 64
#define KC 256
#define MR 6

/* Instruction sets, as bits of sq_vnni_isas() and arguments of sq_vnni_select(). */
#define SQ_AVX512_VNNI 1
#define SQ_AVX_VNNI 2

/* Row stride of offset activations: k rounded up to whole 4-byte groups. */
INLINE int ldu_of(int k) { return (k + 3) & ~3; }

/* One set of kernels per instruction set, PREFIX = sq_avx512_ or sq_avxvnni_; sq_vnni.c documents each. */
#define SQ_KERNELS(PREFIX)                                                                                                    \
    HIDDEN void PREFIX##offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst);   \
    HIDDEN void PREFIX##gemm(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *w, int32_t wOff, int32_t ldw,          \
                             int32_t k, int32_t cols, int32_t *c, int8_t *wp);                                                 \
    HIDDEN void PREFIX##pack(const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t out, int32_t s0, int32_t s1,       \
                             int8_t *wp, int32_t *colsum);                                                                     \
    HIDDEN void PREFIX##gemm_packed(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *wp, const int32_t *colsum,      \
                                    int32_t s, int32_t k, int32_t *c);                                                         \
    HIDDEN void PREFIX##gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k,          \
                             int32_t n, int32_t *acc);                                                                         \
    HIDDEN int32_t PREFIX##peak(int64_t iterations);

SQ_KERNELS(sq_avx512_)
SQ_KERNELS(sq_avxvnni_)

#endif
