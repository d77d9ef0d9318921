/*
 * The AVX-VNNI kernels: the VEX-encoded 256-bit vpdpbusd of AVX2 machines without AVX-512 (Alder Lake and later,
 * Zen 5), compiled for AVX2 + AVX-VNNI only, so nothing here needs AVX-512; sq_vnni.c calls them where
 * sq_vnni_isas() found both. Same arithmetic as sq_avx512.c (activations offset by 128, the weights' column sums
 * subtracted, int32 wrapping) and the same packed layout, on half-width vectors: the GEMM tile is 6 tokens x 16
 * outputs (12 accumulators of 16 registers), run 4 times per 64-output strip.
 */
#include <string.h>
#include <immintrin.h>
#include "sq_vnni.h"

#define PREFIX sq_avxvnni_

#pragma GCC target("avx2,avxvnni")

#define DP(acc, u, s) _mm256_dpbusd_avx_epi32(acc, u, s)

void sq_avxvnni_offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst) {
    int ldu = ldu_of(k);
    __m256i sign = _mm256_set1_epi8((char) 0x80);
    for (int t = 0; t < T; t++) {
        const int8_t *row = x + src + (int64_t) t * ldx;
        uint8_t *out = xu + dst + (int64_t) t * ldu;
        int i = 0;
        for (; i + 32 <= k; i += 32)
            _mm256_storeu_si256((__m256i *) (out + i), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) (row + i)), sign));
        for (; i < k; i++) out[i] = (uint8_t) (row[i] ^ 0x80);
        for (int j = k; j < ldu; j++) out[j] = 0;
    }
}

/* r[j] = column j of the 8 x 8 matrix of int32 whose rows were r[0..7]. */
INLINE void transpose8(__m256i r[8]) {
    __m256i t[8];
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_permute2x128_si256(r[i], r[i + 4], 0x20);
        t[i + 4] = _mm256_permute2x128_si256(r[i], r[i + 4], 0x31);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = t[i];
}

/* As sq_avx512.c's: one k block of a strip into the packed layout, 8 rows x 8 groups per register transpose. */
static void pack_block(const int8_t *w, int64_t ldw, int cols, int r, int8_t *wp, int32_t *colsum) {
    int q4 = (r + 3) >> 2, full = r >> 2, rows8 = cols & ~7, groups8 = full & ~7;
    int32_t *wp32 = (int32_t *) wp;
    for (int c0 = 0; c0 < rows8; c0 += 8) {
        for (int q0 = 0; q0 < groups8; q0 += 8) {
            __m256i v[8];
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_si256((const __m256i *) (w + (c0 + i) * ldw + 4 * q0));
            transpose8(v);
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *) (wp32 + (q0 + j) * NR + c0), v[j]);
        }
    }
    for (int c = 0; c < cols; c++) {
        const int8_t *row = w + c * ldw;
        int32_t *dst = wp32 + c;
        for (int q = c < rows8 ? groups8 : 0; q < full; q++) memcpy(dst + q * NR, row + 4 * q, 4);
        if (full < q4) {
            int8_t g[4] = {0, 0, 0, 0};
            for (int j = 0; j < r - 4 * full; j++) g[j] = row[4 * full + j];
            memcpy(dst + full * NR, g, 4);
        }
    }
    for (int c = cols; c < NR; c++) {
        for (int q = 0; q < q4; q++) wp32[q * NR + c] = 0;
    }
    // column sums: one vpdpbusd of all-ones by each packed vector
    __m256i ones = _mm256_set1_epi8(1), s[8];
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) s[v] = _mm256_loadu_si256((const __m256i *) (colsum + 8 * v));
    for (int q = 0; q < q4; q++) {
        const int8_t *p = wp + q * NR * 4;
#pragma GCC unroll 8
        for (int v = 0; v < 8; v++) s[v] = DP(s[v], ones, _mm256_loadu_si256((const __m256i *) (p + 32 * v)));
    }
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) _mm256_storeu_si256((__m256i *) (colsum + 8 * v), s[v]);
}

/*
 * c[r*NR + j] (+)= sum_{q < q4} dot4(xu group q of token r, wp group [q][j]) for r < rows (a constant after
 * inlining), j < NR: per 16 outputs, rows x 2 accumulators, each token's 4 activation bytes broadcast once per q.
 */
INLINE void tile(int rows, const uint8_t *xu, int64_t ldu, const int8_t *wp, int q4, int32_t *c, int first) {
    for (int g = 0; g < NR; g += 16) {
        __m256i acc[MR][2];
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                acc[r][0] = first ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *) (c + r * NR + g));
                acc[r][1] = first ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *) (c + r * NR + g + 8));
            }
        }
        for (int q = 0; q < q4; q++) {
            const int8_t *p = wp + (q * NR + g) * 4;
            __m256i w0 = _mm256_loadu_si256((const __m256i *) p), w1 = _mm256_loadu_si256((const __m256i *) (p + 32));
#pragma GCC unroll 6
            for (int r = 0; r < MR; r++) {
                if (r < rows) {
                    int32_t x4;
                    memcpy(&x4, xu + r * ldu + 4 * q, 4);
                    __m256i b = _mm256_set1_epi32(x4);
                    acc[r][0] = DP(acc[r][0], b, w0);
                    acc[r][1] = DP(acc[r][1], b, w1);
                }
            }
        }
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                _mm256_storeu_si256((__m256i *) (c + r * NR + g), acc[r][0]);
                _mm256_storeu_si256((__m256i *) (c + r * NR + g + 8), acc[r][1]);
            }
        }
    }
}

/* c[t*NR + j] -= 128 * colsum[j]: removes the activations' offset. */
static void unoffset(int T, const int32_t *colsum, int32_t *c) {
    __m256i k[8];
    for (int v = 0; v < 8; v++) k[v] = _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *) (colsum + 8 * v)), 7);
    for (int t = 0; t < T; t++) {
        for (int v = 0; v < 8; v++) {
            __m256i *p = (__m256i *) (c + (int64_t) t * NR + 8 * v);
            _mm256_storeu_si256(p, _mm256_sub_epi32(_mm256_loadu_si256(p), k[v]));
        }
    }
}

#include "sq_strip.h"

INLINE int32_t hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/*
 * Decode, as sq_avx512.c's: one row after the other (one sequential stream per thread), 32 inputs per step on two
 * pairs of accumulators; the last partial step (k % 32 inputs; AVX2 has no masked byte loads) from zero-padded copies.
 */
void sq_avxvnni_gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t n,
                     int32_t *acc) {
    const uint8_t *x = xu + xuOff;
    const __m256i ones = _mm256_set1_epi8(1);
    int full = k & ~31, rem = k - full;
    uint8_t xt[32] __attribute__((aligned(32))) = {0};
    memcpy(xt, x + full, rem);
    const __m256i xr = _mm256_load_si256((const __m256i *) xt);
    for (int j = 0; j < n; j++) {
        const int8_t *row = w + wOff + (int64_t) j * ldw;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, s0 = a0, s1 = a0;
        int i = 0;
        for (; i + 64 <= full; i += 64) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (row + i)), w1 = _mm256_loadu_si256((const __m256i *) (row + i + 32));
            a0 = DP(a0, _mm256_loadu_si256((const __m256i *) (x + i)), w0);
            s0 = DP(s0, ones, w0);
            a1 = DP(a1, _mm256_loadu_si256((const __m256i *) (x + i + 32)), w1);
            s1 = DP(s1, ones, w1);
        }
        if (i < full) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (row + i));
            a0 = DP(a0, _mm256_loadu_si256((const __m256i *) (x + i)), w0);
            s0 = DP(s0, ones, w0);
        }
        if (rem) {
            int8_t wt[32] __attribute__((aligned(32))) = {0};
            memcpy(wt, row + full, rem);
            __m256i w1 = _mm256_load_si256((const __m256i *) wt);
            a1 = DP(a1, xr, w1);
            s1 = DP(s1, ones, w1);
        }
        acc[j] = hsum(_mm256_sub_epi32(_mm256_add_epi32(a0, a1), _mm256_slli_epi32(_mm256_add_epi32(s0, s1), 7)));
    }
}

/* iterations x 32 vpdpbusd of 256 bits (1024 multiply-adds, as sq_avx512_peak) on 8 independent accumulators. */
int32_t sq_avxvnni_peak(int64_t iterations) {
    __m256i x = _mm256_set1_epi8(3), y = _mm256_set1_epi8(-5);
#define ACC(i) __m256i a##i = _mm256_set1_epi32(i);
#define STEP(i) a##i = DP(a##i, x, y);
#define EACH(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7)
    EACH(ACC)
    for (int64_t it = 0; it < iterations; it++) {
        EACH(STEP) EACH(STEP) EACH(STEP) EACH(STEP)
        __asm__ volatile("" : "+x"(x), "+x"(y)); // the operands stay opaque: the loop cannot be folded
    }
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
    return hsum(s);
}
