/*
 * Route (b) of issue 19 against route (a), in one process: oneDNN's int8 matmul (u8 x s8 -> s32, weights reordered
 * once into the layout its primitive asks for) beside sq's own VNNI kernels (src/main/c, the same packed-weights
 * GEMM and GEMV the JVM calls) and the vpdpbusd peak, on the same shapes and the same number of threads (OpenMP;
 * sq's strips split between threads as sq.kernels.Parallel splits them). Not part of the build or the tests:
 * tools/onednn/run.sh compiles and runs it. Output: one line per measurement, GOP/s = 2 * M * N * K / time.
 *
 * Decode (M = 1) rotates over enough weight copies (>= 256 MB) that the weights come from memory, as in a decode step.
 * With CPU_TIME=1 rates are per second of the process's CPU time, not of wall time: on a shared, overloaded host
 * that compares what each kernel does while it runs (memory stalls count; waiting for a core does not). Use it with
 * one thread: with more, threads spinning at a barrier count too.
 */
#include <dnnl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int32_t sq_vnni_select(int32_t which);
void sq_vnni_offset_x(const int8_t *x, int32_t src, int32_t ldx, int32_t T, int32_t k, uint8_t *xu, int32_t dst);
void sq_vnni_pack(const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t out, int32_t s0, int32_t s1, int8_t *wp,
                  int32_t *colsum);
void sq_vnni_gemm_packed(const uint8_t *xu, int32_t xuOff, int32_t T, const int8_t *wp, const int32_t *colsum, int32_t s,
                         int32_t k, int32_t *c);
void sq_vnni_gemv(const uint8_t *xu, int32_t xuOff, const int8_t *w, int32_t wOff, int32_t ldw, int32_t k, int32_t n,
                  int32_t *acc);
int32_t sq_vnni_peak(int64_t iterations);

#define NR 64
#define KC 256
#define CHECK(call)                                                                                 \
    do {                                                                                            \
        dnnl_status_t st_ = (call);                                                                 \
        if (st_ != dnnl_success) { fprintf(stderr, "%s: status %d\n", #call, (int) st_); exit(1); } \
    } while (0)

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void) {
    struct timespec t;
    clock_gettime(clock_id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs body(i) for i = 0, 1, ... for at least `seconds` after one untimed call; returns calls per second. */
#define RATE(seconds, body)                                         \
    ({                                                              \
        long i_ = 0;                                                \
        body;                                                       \
        double t0_ = now(), t_;                                     \
        do { i_++; body; } while ((t_ = now() - t0_) < (seconds));  \
        i_ / t_;                                                    \
    })

static dnnl_engine_t eng;
static dnnl_stream_t strm;

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t src, *wei, dst;
    int copies;
} onednn_mm;

/* oneDNN matmul dst[M,N] = src[M,K] (u8) x wei[K,N] (s8), wei given as sq stores it: W [N, K] row-major (tag ba). */
static onednn_mm onednn_setup(int M, int N, int K, uint8_t *src, int8_t **w, int copies, int32_t *dst) {
    onednn_mm r = {0};
    dnnl_dims_t sd = {M, K}, wd = {K, N}, dd = {M, N};
    dnnl_memory_desc_t smd, wany, wuser, dmd;
    CHECK(dnnl_memory_desc_init_by_tag(&smd, 2, sd, dnnl_u8, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&wany, 2, wd, dnnl_s8, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&wuser, 2, wd, dnnl_s8, dnnl_ba));
    CHECK(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_s32, dnnl_ab));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &smd, &wany, NULL, &dmd));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    const char *impl;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    printf("# onednn M=%d: implementation %s\n", M, impl);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    CHECK(dnnl_primitive_create(&r.prim, pd));
    CHECK(dnnl_memory_create(&r.src, &smd, eng, src));
    CHECK(dnnl_memory_create(&r.dst, &dmd, eng, dst));
    r.wei = calloc(copies, sizeof *r.wei);
    r.copies = copies;
    for (int c = 0; c < copies; c++) { // the reorder, once per copy
        dnnl_memory_t user;
        CHECK(dnnl_memory_create(&user, &wuser, eng, w[c]));
        CHECK(dnnl_memory_create(&r.wei[c], wmd, eng, DNNL_MEMORY_ALLOCATE));
        dnnl_primitive_desc_t rpd;
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wuser, eng, wmd, eng, NULL));
        dnnl_primitive_t reorder;
        CHECK(dnnl_primitive_create(&reorder, rpd));
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, r.wei[c]}};
        CHECK(dnnl_primitive_execute(reorder, strm, 2, args));
        CHECK(dnnl_stream_wait(strm));
        dnnl_primitive_destroy(reorder);
        dnnl_primitive_desc_destroy(rpd);
        dnnl_memory_destroy(user);
    }
    dnnl_primitive_desc_destroy(pd);
    return r;
}

/* One prefill GEMM on packed weights, strips split between the threads. */
static void sq_gemm(int M, int N, int K, const uint8_t *xu, const int8_t *wp, const int32_t *cs, int32_t *tiles, int32_t *d) {
    int strips = (N + NR - 1) / NR;
#pragma omp parallel for schedule(static)
    for (int s = 0; s < strips; s++) {
        int32_t *t = tiles + (size_t) omp_get_thread_num() * M * NR;
        sq_vnni_gemm_packed(xu, 0, M, wp, cs, s, K, t);
        int cols = N - s * NR < NR ? N - s * NR : NR; // the epilogue's read of the tile, as the JVM's
        for (int m = 0; m < M; m++) memcpy(d + (size_t) m * N + s * NR, t + m * NR, cols * 4);
    }
}

/* One decode GEMV, chunks of 64 rows split between the threads (as sq.kernels.VnniMatMul). */
static void sq_gemv(int N, int K, const uint8_t *xu, const int8_t *w, int32_t *d) {
#pragma omp parallel for schedule(static)
    for (int o = 0; o < N; o += 64) sq_vnni_gemv(xu, 0, w, o * K, K, K, N - o < 64 ? N - o : 64, d + o);
}

static void peak(void) {
#pragma omp parallel
    sq_vnni_peak(1 << 20);
}

static void onednn_run(onednn_mm *r, int c) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, r->src}, {DNNL_ARG_WEIGHTS, r->wei[c]}, {DNNL_ARG_DST, r->dst}};
    CHECK(dnnl_primitive_execute(r->prim, strm, 3, args));
    CHECK(dnnl_stream_wait(strm));
}

int main(int argc, char **argv) {
    int M = argc > 1 ? atoi(argv[1]) : 256, N = argc > 2 ? atoi(argv[2]) : 5632, K = argc > 3 ? atoi(argv[3]) : 2048;
    double secs = argc > 4 ? atof(argv[4]) : 3;
    int threads = omp_get_max_threads();
    const char *cpu = getenv("CPU_TIME");
    if (cpu && strcmp(cpu, "1") == 0) clock_id = CLOCK_PROCESS_CPUTIME_ID;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    int copies = M == 1 ? (int) ((256L << 20) / ((long) N * K) + 1) : 1;
    srand(42);
    int8_t *x = malloc((size_t) M * K), **w = malloc(copies * sizeof *w);
    for (long i = 0; i < (long) M * K; i++) x[i] = (int8_t) (rand() & 0xff);
    for (int c = 0; c < copies; c++) {
        w[c] = malloc((size_t) N * K);
        for (long i = 0; i < (long) N * K; i++) w[c][i] = (int8_t) (rand() & 0xff);
    }
    uint8_t *xu = malloc((size_t) M * ((K + 3) & ~3));
    sq_vnni_offset_x(x, 0, K, M, K, xu, 0); // x + 128: the u8 operand both routes multiply
    int32_t *d1 = malloc((size_t) M * N * 4), *d2 = malloc((size_t) M * N * 4);
    double gop = 2.0 * M * N * K / 1e9;
    printf("# M=%d N=%d K=%d threads=%d weight copies=%d, rates per second of %s\n", M, N, K, threads, copies,
           clock_id == CLOCK_MONOTONIC ? "wall time" : "CPU time");

    onednn_mm mm = onednn_setup(M, N, K, xu, w, copies, d1);
    int c = 0;
    double r = RATE(secs, { onednn_run(&mm, c); c = (c + 1) % copies; });
    printf("onednn      %8.1f GOP/s  (%.3f ms per call)\n", r * gop, 1e3 / r);

    for (int isa = 1; isa <= 2; isa++) {
        if (!sq_vnni_select(isa)) { printf("# sq isa %d: not on this CPU\n", isa); continue; }
        const char *name = isa == 1 ? "avx512-vnni" : "avx-vnni";
        int strips = (N + NR - 1) / NR, blocks = (K + KC - 1) / KC;
        // the GEMM on weights packed once (for M = 1 too: the layout oneDNN's reorder also makes, one vpdpbusd per
        // 64 weights and no row sums), and for M = 1 the GEMV on the weights as stored, as the JVM's decode runs
        int8_t **wp = malloc(copies * sizeof *wp);
        int32_t **cs = malloc(copies * sizeof *cs);
        for (int p = 0; p < copies; p++) {
            wp[p] = malloc((size_t) strips * blocks * NR * KC);
            cs[p] = malloc((size_t) strips * NR * 4);
            sq_vnni_pack(w[p], 0, K, K, N, 0, strips, wp[p], cs[p]);
        }
        int32_t *tiles = malloc((size_t) threads * M * NR * 4);
        r = RATE(secs, { sq_gemm(M, N, K, xu, wp[c], cs[c], tiles, d2); c = (c + 1) % copies; });
        printf("sq %-11s %8.1f GOP/s  (%.3f ms per call; GEMM on packed weights)\n", name, r * gop, 1e3 / r);
        for (int p = 0; p < copies; p++) free(wp[p]), free(cs[p]);
        free(wp), free(cs), free(tiles);
        if (M == 1) {
            r = RATE(secs, { sq_gemv(N, K, xu, w[c], d2); c = (c + 1) % copies; });
            printf("sq %-11s %8.1f GOP/s  (%.3f ms per call; GEMV on the weights as stored)\n", name, r * gop, 1e3 / r);
        }
        // same sums? oneDNN computed u8 x s8 (no zero point); sq's are x x w: they differ by 128 * colsum(W)
        onednn_run(&mm, 0);
        if (M == 1) sq_gemv(N, K, xu, w[0], d2);
        long bad = 0;
        for (int n = 0; n < N; n++) {
            int32_t colsum = 0;
            for (int k = 0; k < K; k++) colsum += w[0][(size_t) n * K + k];
            for (int m = 0; m < M; m++) bad += d1[(size_t) m * N + n] - 128 * colsum != d2[(size_t) m * N + n];
        }
        printf("# sq %s vs onednn: %ld of %ld sums differ\n", name, bad, (long) M * N);
        r = RATE(1.0, peak());
        printf("peak %-9s %8.1f GOP/s  (vpdpbusd loop, %d threads)\n", name, r * threads * (1 << 20) * 1024 * 2 / 1e9, threads);
    }
    return 0;
}
