package sq.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.model.Generator;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.model.Sampler;
import sq.model.Transformer;
import sq.quant.HeadPrecision;
import sq.quant.Int8Models;
import sq.quant.Scheme;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine on stories260K in int8 (w8a8, int8 attention and ends): continuous batching must not change a
 * sequence's tokens. The reference is {@link Generator} (./sq generate's loop: whole-prompt prefill, then one token
 * at a time), run alone per request.
 */
class EngineTest {
    static Model int8;
    static Tokenizer tok;

    @BeforeAll
    static void load() {
        var dir = Fixtures.bundled("stories260K");
        tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        int8 = Int8Models.streamNaive(LayerSource.of(ModelLoader.load(dir)), Scheme.parse("w8a8"), HeadPrecision.INT8);
    }

    /** A request's tokens and how it ended. */
    record Result(List<Integer> ids, FinishReason reason) {
    }

    static class Collect implements TokenListener {
        final List<Integer> ids = new CopyOnWriteArrayList<>();
        final CompletableFuture<Result> done = new CompletableFuture<>();

        @Override
        public void onToken(int id, TokenLogprobs lp) {
            ids.add(id);
        }

        @Override
        public void onFinish(FinishReason reason, int promptTokens, int completionTokens) {
            done.complete(new Result(List.copyOf(ids), reason));
        }
    }

    static int[] prompt(String text) {
        int[] ids = tok.encode(text), p = new int[ids.length + 1];
        p[0] = 1; // BOS
        System.arraycopy(ids, 0, p, 1, ids.length);
        return p;
    }

    static List<Integer> alone(int[] prompt, int maxNew, Set<Integer> stop) {
        List<Integer> out = new ArrayList<>();
        Generator.generate(new Transformer(int8, true), prompt, maxNew, new Sampler(0, 1, 0), id -> {
            if (stop.contains(id)) return false;
            out.add(id);
            return true;
        });
        return out;
    }

    static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Tom went to the park to play with a big red ball",
            "One day", "A", "The sun was hot and the bird sang a song in the tall green tree by the river", "Sam had a toy car",
            "Mom said"};

    @Test
    void batchedGreedyEqualsAloneBitForBit() throws Exception {
        // token budget 24 < the long prompts: they are prefilled in chunks alongside other sequences' decode steps
        try (Engine e = new Engine(new Transformer(int8, true), new EngineConfig(8, 24, 400, 64, 512)).start()) {
            List<Collect> cs = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                Collect c = new Collect();
                e.submit(GenerationRequest.greedy(prompt(PROMPTS[i]), 20 + 7 * i, Set.of(2)), c);
                cs.add(c);
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                Result r = cs.get(i).done.get(60, TimeUnit.SECONDS);
                assertThat(r.ids()).as(PROMPTS[i]).isEqualTo(alone(prompt(PROMPTS[i]), 20 + 7 * i, Set.of(2)));
                assertThat(r.ids()).isNotEmpty();
            }
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(allFree(e.pool())).as("every block back on the free list").isTrue();
            assertThat(e.stepTokens()).as("batching happened: fewer steps than tokens").isGreaterThan(2 * e.steps());
        }
    }

    /** Whether every physical block of the pool is on its free list. */
    static boolean allFree(BlockPool pool) {
        for (int b = 0; b < pool.total(); b++) if (!pool.isFree(b)) return false;
        return pool.used() == 0;
    }

    @Test
    void fragmentedPoolGivesTablesWithGapsAndTheSameTokens() throws Exception {
        try (Engine e = new Engine(new Transformer(int8, true), new EngineConfig(8, 24, 200, 64, 512)).start()) {
            BlockPool pool = e.pool();
            // hold every block, give back the even ones: a table of two or more blocks is then never one run
            int[][] held = new int[pool.total()][];
            for (int b = 0; b < pool.total(); b++) held[b] = pool.allocate(1);
            for (int b = 0; b < pool.total(); b += 2) pool.free(held[b]);
            List<Collect> cs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Collect c = new Collect();
                e.submit(GenerationRequest.greedy(prompt(PROMPTS[i + 2]), 30 + 5 * i, Set.of(2)), c);
                cs.add(c);
            }
            for (int i = 0; i < 4; i++)
                assertThat(cs.get(i).done.get(60, TimeUnit.SECONDS).ids()).as(PROMPTS[i + 2])
                        .isEqualTo(alone(prompt(PROMPTS[i + 2]), 30 + 5 * i, Set.of(2)));
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            for (int b = 0; b < pool.total(); b++) assertThat(pool.isFree(b)).as("block %d", b).isEqualTo(b % 2 == 0);
            for (int b = 1; b < pool.total(); b += 2) pool.free(held[b]);
            assertThat(allFree(pool)).isTrue();
            assertThatThrownBy(() -> pool.free(held[0])).isInstanceOf(IllegalStateException.class).hasMessageContaining("not in use");
        }
    }

    @Test
    void ignoreEosRunsToMaxTokensAndMinTokensHoldsStopIdsBack() throws Exception {
        try (Engine e = new Engine(new Transformer(int8, true), new EngineConfig(4, 64, 100, 8, 512)).start()) {
            Collect free = new Collect(), stop = new Collect(), min = new Collect();
            int[] p = prompt("The end");
            e.submit(new GenerationRequest(p, 100, 0, 0, 1, 0, Set.of(), 0, 0, -1), free);
            Result r = free.done.get(60, TimeUnit.SECONDS);
            assertThat(r.reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(r.ids()).hasSize(100);
            // a token of that output as the stop id: the output ends where it first comes, unless min_tokens forbids it there
            int t = r.ids().get(10), first = r.ids().indexOf(t);
            e.submit(new GenerationRequest(p, 100, 0, 0, 1, 0, Set.of(t), 0, 0, -1), stop);
            Result s = stop.done.get(60, TimeUnit.SECONDS);
            assertThat(s.reason()).isEqualTo(FinishReason.STOP);
            assertThat(s.ids()).isEqualTo(r.ids().subList(0, first));
            e.submit(new GenerationRequest(p, 100, first + 1, 0, 1, 0, Set.of(t), 0, 0, -1), min);
            Result m = min.done.get(60, TimeUnit.SECONDS);
            assertThat(m.ids().subList(0, first)).isEqualTo(r.ids().subList(0, first));
            assertThat(m.ids().size()).isGreaterThan(first);
            assertThat(m.ids().get(first)).isNotEqualTo(t);
        }
    }

    @Test
    void cancelFreesBlocksAndLeavesOthersAlone() throws Exception {
        try (Engine e = new Engine(new Transformer(int8, true), new EngineConfig(4, 64, 100, 8, 512)).start()) {
            CountDownLatch three = new CountDownLatch(3);
            Collect victim = new Collect() {
                @Override
                public void onToken(int id, TokenLogprobs lp) {
                    super.onToken(id, lp);
                    three.countDown();
                }
            };
            Collect other = new Collect();
            int[] p = prompt(PROMPTS[2]);
            Engine.Handle h = e.submit(new GenerationRequest(p, 400, 0, 0, 1, 0, Set.of(), 0, 0, -1), victim);
            e.submit(GenerationRequest.greedy(p, 60, Set.of(2)), other);
            assertThat(three.await(30, TimeUnit.SECONDS)).isTrue();
            h.cancel();
            assertThat(victim.done.get(30, TimeUnit.SECONDS).reason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(other.done.get(60, TimeUnit.SECONDS).ids()).isEqualTo(alone(p, 60, Set.of(2)));
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(allFree(e.pool())).as("every block back on the free list").isTrue();
        }
    }

    @Test
    void fullPoolMakesRequestsWaitAndFullQueueRefuses() throws Exception {
        // 10 blocks = 160 positions: one request of 100 positions at a time
        try (Engine e = new Engine(new Transformer(int8, true), new EngineConfig(4, 64, 10, 2, 512)).start()) {
            int[] p = prompt("Once upon a time");
            List<Collect> cs = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            for (int i = 0; i < 3; i++) {
                Collect c = i > 0 ? new Collect() : new Collect() {
                    @Override
                    public void onToken(int id, TokenLogprobs lp) {
                        super.onToken(id, lp);
                        started.countDown();
                    }
                };
                e.submit(new GenerationRequest(p, 100 - p.length, 0, 0, 1, 0, Set.of(), 0, 0, -1), c);
                cs.add(c);
                if (i == 0) assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(e.running()).isEqualTo(1);
            // one admitted, two waiting (the queue's limit): the next is refused
            assertThatThrownBy(() -> e.submit(GenerationRequest.greedy(p, 10, Set.of()), new Collect()))
                    .isInstanceOf(QueueFullException.class);
            for (Collect c : cs) assertThat(c.done.get(60, TimeUnit.SECONDS).ids()).hasSize(100 - p.length);
            assertThat(cs.get(1).ids).isEqualTo(cs.get(0).ids);
            assertThatThrownBy(() -> e.submit(GenerationRequest.greedy(p, 500, Set.of()), new Collect()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KV blocks");
            assertThatThrownBy(() -> e.submit(GenerationRequest.greedy(new int[512], 1, Set.of()), new Collect()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context");
            assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(allFree(e.pool())).as("every block back on the free list").isTrue();
        }
    }
}
