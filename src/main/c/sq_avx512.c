/*
 * The AVX-512 VNNI kernels (vpdpbusd on 512-bit vectors); sq_vnni.c says what each does and calls them where
 * sq_vnni_isas() found AVX-512 F/BW/VL + VNNI.
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes, four pairs per int32 lane. Activations enter offset by 128
 * (xu = x ^ 0x80 = x + 128 as unsigned), weights stay signed, so each sum is dot + 128 * colsum(W); the weights'
 * column sums (sums over the inputs of each output) are taken while packing and subtracted. All int32 arithmetic
 * wraps, so the result equals the pure-Java kernels' bit for bit whenever the true dot product fits an int.
 *
 * All pointers are Java heap arrays (Linker.Option.critical) or off-heap memory, plus int offsets; nothing is
 * allocated here.
 */
#include <string.h>
#include <immintrin.h>
#include "sq_vnni.h"

#define PREFIX sq_avx512_

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")

/* xu[dst + t*ldu + i] = x[src + t*ldx + i] + 128 (as unsigned) for i < k, 0 for k <= i < ldu; t < T. */
void sq_avx512_offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst) {
    int ldu = ldu_of(k);
    __m512i sign = _mm512_set1_epi8((char) 0x80);
    for (int t = 0; t < T; t++) {
        const int8_t *row = x + src + (int64_t) t * ldx;
        uint8_t *out = xu + dst + (int64_t) t * ldu;
        int i = 0;
        for (; i + 64 <= k; i += 64) _mm512_storeu_si512(out + i, _mm512_xor_si512(_mm512_loadu_si512(row + i), sign));
        if (i < k) {
            __mmask64 m = _cvtu64_mask64(~0ULL >> (64 - (k - i)));
            _mm512_mask_storeu_epi8(out + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, row + i), sign));
        }
        for (int j = k; j < ldu; j++) out[j] = 0;
    }
}

/* r[j] = column j of the 16 x 16 matrix of int32 whose rows were r[0..15] (the usual 4-stage shuffle transpose). */
INLINE void transpose16(__m512i r[16]) {
    __m512i t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
#pragma GCC unroll 2
    for (int h = 0; h < 16; h += 8) {
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
}

/*
 * Packs one k block (r inputs from kb, r <= KC) of a strip of `cols` <= NR weight rows for the micro-kernel:
 * wp[(q*NR + c)*4 + j] = w[c*ldw + 4q + j] (0 past r or past cols), q < ceil(r/4); adds the block's column sums
 * to colsum[c]. This is a transpose of 4-byte groups: 16 rows x 16 groups at a time in registers (a scalar copy
 * per group cost ~20% of a T = 256 GEMM), the rest group by group.
 */
static void pack_block(const int8_t *w, int64_t ldw, int cols, int r, int8_t *wp, int32_t *colsum) {
    int q4 = (r + 3) >> 2, full = r >> 2, rows16 = cols & ~15, groups16 = full & ~15;
    int32_t *wp32 = (int32_t *) wp;
    for (int c0 = 0; c0 < rows16; c0 += 16) {
        for (int q0 = 0; q0 < groups16; q0 += 16) {
            __m512i v[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_si512(w + (c0 + i) * ldw + 4 * q0);
            transpose16(v);
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) _mm512_storeu_si512(wp32 + (q0 + j) * NR + c0, v[j]);
        }
    }
    for (int c = 0; c < cols; c++) {
        const int8_t *row = w + c * ldw;
        int32_t *dst = wp32 + c;
        for (int q = c < rows16 ? groups16 : 0; q < full; q++) memcpy(dst + q * NR, row + 4 * q, 4);
        if (full < q4) {
            int8_t g[4] = {0, 0, 0, 0};
            for (int j = 0; j < r - 4 * full; j++) g[j] = row[4 * full + j];
            memcpy(dst + full * NR, g, 4);
        }
    }
    for (int c = cols; c < NR; c++) {
        for (int q = 0; q < q4; q++) ((int32_t *) wp)[q * NR + c] = 0;
    }
    // column sums: one vpdpbusd of all-ones by each packed vector
    __m512i ones = _mm512_set1_epi8(1);
    __m512i s0 = _mm512_loadu_si512(colsum), s1 = _mm512_loadu_si512(colsum + 16);
    __m512i s2 = _mm512_loadu_si512(colsum + 32), s3 = _mm512_loadu_si512(colsum + 48);
    for (int q = 0; q < q4; q++) {
        const int8_t *p = wp + q * NR * 4;
        s0 = _mm512_dpbusd_epi32(s0, ones, _mm512_loadu_si512(p));
        s1 = _mm512_dpbusd_epi32(s1, ones, _mm512_loadu_si512(p + 64));
        s2 = _mm512_dpbusd_epi32(s2, ones, _mm512_loadu_si512(p + 128));
        s3 = _mm512_dpbusd_epi32(s3, ones, _mm512_loadu_si512(p + 192));
    }
    _mm512_storeu_si512(colsum, s0);
    _mm512_storeu_si512(colsum + 16, s1);
    _mm512_storeu_si512(colsum + 32, s2);
    _mm512_storeu_si512(colsum + 48, s3);
}

/*
 * c[r*NR + j] (+)= sum_{q < q4} dot4(xu group q of token r, wp group [q][j]) for r < rows (a constant after inlining),
 * j < NR: rows x 4 accumulators, each packed group of 4 weights for 16 outputs used by all rows, each token's 4
 * activation bytes broadcast once per q.
 */
INLINE void tile(int rows, const uint8_t *xu, int64_t ldu, const int8_t *wp, int q4, int32_t *c, int first) {
    __m512i acc[MR][4];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r < rows) {
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) acc[r][j] = first ? _mm512_setzero_si512() : _mm512_loadu_si512(c + r * NR + 16 * j);
        }
    }
    for (int q = 0; q < q4; q++) {
        const int8_t *p = wp + q * NR * 4;
        __m512i w0 = _mm512_loadu_si512(p), w1 = _mm512_loadu_si512(p + 64);
        __m512i w2 = _mm512_loadu_si512(p + 128), w3 = _mm512_loadu_si512(p + 192);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                int32_t g;
                memcpy(&g, xu + r * ldu + 4 * q, 4);
                __m512i b = _mm512_set1_epi32(g);
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b, w0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b, w1);
                acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], b, w2);
                acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], b, w3);
            }
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r < rows) {
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) _mm512_storeu_si512(c + r * NR + 16 * j, acc[r][j]);
        }
    }
}

/* c[t*NR + j] -= 128 * colsum[j]: removes the activations' offset. */
static void unoffset(int T, const int32_t *colsum, int32_t *c) {
    __m512i k[4];
    for (int j = 0; j < 4; j++) k[j] = _mm512_slli_epi32(_mm512_loadu_si512(colsum + 16 * j), 7);
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < 4; j++) {
            int32_t *p = c + (int64_t) t * NR + 16 * j;
            _mm512_storeu_si512(p, _mm512_sub_epi32(_mm512_loadu_si512(p), k[j]));
        }
    }
}

#include "sq_strip.h"

INLINE int32_t hsum(__m512i v) { return _mm512_reduce_add_epi32(v); }

/*
 * Decode: acc[j] = dot(x, row j) for j < n, rows at w[wOff + j*ldw], one row after the other, so that with ldw = k
 * (a whole matrix) each thread reads one sequential stream. 256-bit vectors (vpdpbusd on ymm, AVX-512 VL): a 64-byte
 * load splits across two cache lines wherever a row does not start on a 64-byte boundary (a heap array's data is
 * 8-byte aligned) and then ran at under half the rate; half-width loads split half as often, and the stream, not the
 * width, is the limit here. Per 32 inputs a vpdpbusd of x by the row and one of all-ones by the row (its sum, for the
 * offset), on two pairs of accumulators so that their latency does not bound the stream; masked tail, no read past a row.
 */
void sq_avx512_gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t n,
                    int32_t *acc) {
    const uint8_t *x = xu + xuOff;
    const __m256i ones = _mm256_set1_epi8(1);
    int full = k & ~31, rem = k - full;
    __mmask32 m = _cvtu32_mask32(rem ? ~0u >> (32 - rem) : 0);
    for (int j = 0; j < n; j++) {
        const int8_t *row = w + wOff + (int64_t) j * ldw;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, s0 = a0, s1 = a0;
        int i = 0;
        for (; i + 64 <= full; i += 64) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (row + i)), w1 = _mm256_loadu_si256((const __m256i *) (row + i + 32));
            a0 = _mm256_dpbusd_epi32(a0, _mm256_loadu_si256((const __m256i *) (x + i)), w0);
            s0 = _mm256_dpbusd_epi32(s0, ones, w0);
            a1 = _mm256_dpbusd_epi32(a1, _mm256_loadu_si256((const __m256i *) (x + i + 32)), w1);
            s1 = _mm256_dpbusd_epi32(s1, ones, w1);
        }
        if (i < full) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *) (row + i));
            a0 = _mm256_dpbusd_epi32(a0, _mm256_loadu_si256((const __m256i *) (x + i)), w0);
            s0 = _mm256_dpbusd_epi32(s0, ones, w0);
        }
        if (rem) {
            __m256i w1 = _mm256_maskz_loadu_epi8(m, row + full);
            a1 = _mm256_dpbusd_epi32(a1, _mm256_maskz_loadu_epi8(m, x + full), w1);
            s1 = _mm256_dpbusd_epi32(s1, ones, w1);
        }
        __m256i d = _mm256_sub_epi32(_mm256_add_epi32(a0, a1), _mm256_slli_epi32(_mm256_add_epi32(s0, s1), 7));
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        acc[j] = _mm_cvtsi128_si32(_mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1)));
    }
}

/*
 * The instruction's peak: iterations x 16 independent vpdpbusd (64 multiply-adds each) on registers, enough
 * accumulators to cover its latency. Returns a value that depends on every accumulator.
 */
int32_t sq_avx512_peak(int64_t iterations) {
    __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-5);
#define ACC(i) __m512i a##i = _mm512_set1_epi32(i);
#define DP(i) a##i = _mm512_dpbusd_epi32(a##i, x, y);
#define EACH(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
    EACH(ACC)
    for (int64_t it = 0; it < iterations; it++) {
        EACH(DP)
        __asm__ volatile("" : "+v"(x), "+v"(y)); // the operands stay opaque: the loop cannot be folded
    }
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)),
                                             _mm512_add_epi32(_mm512_add_epi32(a12, a13), _mm512_add_epi32(a14, a15))));
    return hsum(s);
}
