/*
 * The GEMM's loops over tokens and k blocks, the same for both instruction sets: included by sq_avx512.c and
 * sq_avxvnni.c after they define PREFIX and their pack_block, tile and unoffset (see there), so each set gets its own
 * copy compiled for its instructions.
 */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define KERNEL(name) CAT(PREFIX, name)

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

void KERNEL(gemm)(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k,
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

void KERNEL(pack)(const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t out, int32_t s0, int32_t s1, int8_t *wp,
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

void KERNEL(gemm_packed)(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *wp, const int32_t *colsum, int32_t s,
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
