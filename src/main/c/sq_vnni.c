/*
 * sq's native int8 micro-kernels: AVX-512 VNNI (vpdpbusd), called from Java through FFM (sq.kernels.Vnni).
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes, four pairs per int32 lane. Activations enter offset by 128
 * (xu = x ^ 0x80 = x + 128 as unsigned), weights stay signed, so each sum is dot + 128 * colsum(W); the weights'
 * column sums (sums over the inputs of each output) are taken while packing and subtracted. All int32 arithmetic
 * wraps, so the result equals the pure-Java kernels' bit for bit whenever the true dot product fits an int.
 *
 * Only sq_vnni_supported() and the constants run on any x86-64 CPU; every other function is compiled for AVX-512
 * VNNI (#pragma GCC target), and Java calls them only after sq_vnni_supported() said yes.
 *
 * All pointers are Java heap arrays (Linker.Option.critical) plus int offsets; nothing is allocated here.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))

/* GEMM strip: 64 output features (4 vectors of 16 int32 lanes); k blocks of KC inputs; tiles of MR tokens. */
#define NR 64
#define KC 256
#define MR 6

/* ABI version: the Java side refuses a library whose layout constants it does not expect. */
int32_t sq_vnni_version(void) { return 1; }

int32_t sq_vnni_strip(void) { return NR; }

int32_t sq_vnni_kc(void) { return KC; }

/* 1 when this CPU and OS run AVX-512 F/BW/VL + VNNI (libgcc checks CPUID and that the OS saves zmm state). */
int32_t sq_vnni_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
           && __builtin_cpu_supports("avx512vnni");
}

/* Everything below runs only where sq_vnni_supported() is 1. */
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")

/* Row stride of offset activations: k rounded up to whole 4-byte groups. */
INLINE int ldu_of(int k) { return (k + 3) & ~3; }

/* xu[dst + t*ldu + i] = x[src + t*ldx + i] + 128 (as unsigned) for i < k, 0 for k <= i < ldu; t < T. */
void sq_vnni_offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst) {
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

static void tile_any(int rows, const uint8_t *xu, int64_t ldu, const int8_t *wp, int q4, int32_t *c, int first) {
    switch (rows) {
        case 6: tile(6, xu, ldu, wp, q4, c, first); break;
        case 5: tile(5, xu, ldu, wp, q4, c, first); break;
        case 4: tile(4, xu, ldu, wp, q4, c, first); break;
        case 3: tile(3, xu, ldu, wp, q4, c, first); break;
        case 2: tile(2, xu, ldu, wp, q4, c, first); break;
        default: tile(1, xu, ldu, wp, q4, c, first); break;
    }
}

/* One packed k block against all T tokens. */
static void sweep(const uint8_t *xu, int64_t ldu, int T, int kb, const int8_t *wp, int q4, int32_t *c, int first) {
    for (int t = 0; t < T; t += MR) {
        int rows = T - t < MR ? T - t : MR;
        tile_any(rows, xu + t * ldu + kb, ldu, wp, q4, c + (int64_t) t * NR, first);
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

/*
 * One strip: c[t*NR + j] = dot(x row t, w row j) for t < T, j < cols (columns cols..NR-1 are 0), w rows at
 * w[wOff + j*ldw], xu from sq_vnni_offset_x (rows of ldu_of(k) bytes at xu[xuOff]). W is packed block by block
 * into wp (NR*KC bytes of scratch) and swept by all tokens while it sits in L1.
 */
void sq_vnni_gemm(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k,
                       int32_t cols, int32_t *c, int8_t *wp) {
    int64_t ldu = ldu_of(k);
    int32_t colsum[NR] __attribute__((aligned(64)));
    memset(colsum, 0, sizeof colsum);
    if (k == 0) memset(c, 0, (size_t) T * NR * 4);
    for (int kb = 0; kb < k; kb += KC) {
        int r = k - kb < KC ? k - kb : KC;
        pack_block(w + wOff + kb, ldw, cols, r, wp, colsum);
        sweep(xu + xuOff, ldu, T, kb, wp, (r + 3) >> 2, c, kb == 0);
    }
    unoffset(T, colsum, c);
}

/* Packs W [out, k] (rows at w[wOff + o*ldw]) once: strip s, block b at wp[(s*blocks + b)*NR*KC]; colsum [strips*NR]. */
void sq_vnni_pack(const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t out, int32_t s0, int32_t s1, int8_t *wp,
                       int32_t *colsum) {
    int blocks = (k + KC - 1) / KC;
    for (int s = s0; s < s1; s++) {
        int cols = out - s * NR < NR ? out - s * NR : NR;
        memset(colsum + s * NR, 0, NR * 4);
        for (int b = 0; b < blocks; b++) {
            int kb = b * KC, r = k - kb < KC ? k - kb : KC;
            pack_block(w + wOff + (int64_t) s * NR * ldw + kb, ldw, cols, r, wp + ((int64_t) s * blocks + b) * NR * KC, colsum + s * NR);
        }
    }
}

/* The strip s of weights packed by sq_vnni_pack, as sq_vnni_gemm computes it. */
void sq_vnni_gemm_packed(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *wp, const int32_t *colsum, int32_t s,
                              int32_t k, int32_t *c) {
    int64_t ldu = ldu_of(k);
    int blocks = (k + KC - 1) / KC;
    if (k == 0) memset(c, 0, (size_t) T * NR * 4);
    for (int b = 0; b < blocks; b++) {
        int kb = b * KC, r = k - kb < KC ? k - kb : KC;
        sweep(xu + xuOff, ldu, T, kb, wp + ((int64_t) s * blocks + b) * NR * KC, (r + 3) >> 2, c, b == 0);
    }
    unoffset(T, colsum + s * NR, c);
}

INLINE int32_t hsum(__m512i v) { return _mm512_reduce_add_epi32(v); }

/*
 * Decode: acc[j] = dot(x, W row j) for j < n, rows at w[wOff + j*ldw], x offset (xu, k bytes at xu[xuOff]). Four rows
 * per pass, 64 inputs per step: a vpdpbusd of x by the row and one of all-ones by the row (its sum, for the offset).
 * The last partial step uses masked loads (no read past the row).
 */
void sq_vnni_gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t n,
                       int32_t *acc) {
    const uint8_t *x = xu + xuOff;
    const __m512i ones = _mm512_set1_epi8(1);
    int full = k & ~63, rem = k - full;
    __mmask64 m = rem ? _cvtu64_mask64(~0ULL >> (64 - rem)) : 0;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        const int8_t *r0 = w + wOff + (int64_t) j * ldw, *r1 = r0 + ldw, *r2 = r1 + ldw, *r3 = r2 + ldw;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, s0 = a0, s1 = a0, s2 = a0, s3 = a0;
        for (int i = 0; i < full; i += 64) {
            __m512i xv = _mm512_loadu_si512(x + i);
            __m512i w0 = _mm512_loadu_si512(r0 + i), w1 = _mm512_loadu_si512(r1 + i);
            __m512i w2 = _mm512_loadu_si512(r2 + i), w3 = _mm512_loadu_si512(r3 + i);
            a0 = _mm512_dpbusd_epi32(a0, xv, w0);
            s0 = _mm512_dpbusd_epi32(s0, ones, w0);
            a1 = _mm512_dpbusd_epi32(a1, xv, w1);
            s1 = _mm512_dpbusd_epi32(s1, ones, w1);
            a2 = _mm512_dpbusd_epi32(a2, xv, w2);
            s2 = _mm512_dpbusd_epi32(s2, ones, w2);
            a3 = _mm512_dpbusd_epi32(a3, xv, w3);
            s3 = _mm512_dpbusd_epi32(s3, ones, w3);
        }
        if (rem) {
            __m512i xv = _mm512_maskz_loadu_epi8(m, x + full);
            __m512i w0 = _mm512_maskz_loadu_epi8(m, r0 + full), w1 = _mm512_maskz_loadu_epi8(m, r1 + full);
            __m512i w2 = _mm512_maskz_loadu_epi8(m, r2 + full), w3 = _mm512_maskz_loadu_epi8(m, r3 + full);
            a0 = _mm512_dpbusd_epi32(a0, xv, w0);
            s0 = _mm512_dpbusd_epi32(s0, ones, w0);
            a1 = _mm512_dpbusd_epi32(a1, xv, w1);
            s1 = _mm512_dpbusd_epi32(s1, ones, w1);
            a2 = _mm512_dpbusd_epi32(a2, xv, w2);
            s2 = _mm512_dpbusd_epi32(s2, ones, w2);
            a3 = _mm512_dpbusd_epi32(a3, xv, w3);
            s3 = _mm512_dpbusd_epi32(s3, ones, w3);
        }
        acc[j] = hsum(_mm512_sub_epi32(a0, _mm512_slli_epi32(s0, 7)));
        acc[j + 1] = hsum(_mm512_sub_epi32(a1, _mm512_slli_epi32(s1, 7)));
        acc[j + 2] = hsum(_mm512_sub_epi32(a2, _mm512_slli_epi32(s2, 7)));
        acc[j + 3] = hsum(_mm512_sub_epi32(a3, _mm512_slli_epi32(s3, 7)));
    }
    for (; j < n; j++) {
        const int8_t *r0 = w + wOff + (int64_t) j * ldw;
        __m512i a0 = _mm512_setzero_si512(), s0 = a0;
        for (int i = 0; i < full; i += 64) {
            __m512i w0 = _mm512_loadu_si512(r0 + i);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(x + i), w0);
            s0 = _mm512_dpbusd_epi32(s0, ones, w0);
        }
        if (rem) {
            __m512i w0 = _mm512_maskz_loadu_epi8(m, r0 + full);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_maskz_loadu_epi8(m, x + full), w0);
            s0 = _mm512_dpbusd_epi32(s0, ones, w0);
        }
        acc[j] = hsum(_mm512_sub_epi32(a0, _mm512_slli_epi32(s0, 7)));
    }
}

/*
 * The instruction's peak: iterations x 16 independent vpdpbusd (64 multiply-adds each) on registers, enough
 * accumulators to cover its latency. Returns a value that depends on every accumulator.
 */
int32_t sq_vnni_peak(int64_t iterations) {
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
