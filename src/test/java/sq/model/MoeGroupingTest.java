package sq.model;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mixture groups tokens by expert: in one step (a prefill of T tokens, or a decode step of one) each expert's
 * gate/up/down are run at most once, on all the rows routed to it, and the rows add up to T * top-k. Counted through
 * the linears' runner on models/mixtral-4m's layer 0 (real router weights; the experts' outputs are not computed).
 */
class MoeGroupingTest {
    @Test
    void eachExpertRunsOncePerStepOnAllItsRows() {
        Model model = ModelLoader.load(Path.of("models/mixtral-4m"));
        MoeConfig c = model.config().block().moe();
        Moe m = model.layers().getFirst().moe;
        int H = model.config().hidden();
        for (int T : new int[]{1, 64}) {
            Map<Linear, int[]> calls = new IdentityHashMap<>();
            MoeForward f = new MoeForward(c, H, new MoeForward.Ops() {
                @Override
                public void run(Linear l, float[] x, float[] y, int tokens) {
                    calls.computeIfAbsent(l, k -> new int[2])[0]++;
                    calls.get(l)[1] += tokens;
                    if (l == m.router) {
                        float[] w = ((DenseLinear) l).weight();
                        for (int t = 0; t < tokens; t++)
                            for (int o = 0; o < l.out(); o++) {
                                float s = 0;
                                for (int j = 0; j < l.in(); j++) s += w[o * l.in() + j] * x[t * l.in() + j];
                                y[t * l.out() + o] = s;
                            }
                    }
                }

                @Override
                public void runShared(float[] x, int tokens, Linear[] linears, float[][] ys) {
                    for (Linear l : linears) run(l, x, ys[0], tokens);
                }

                @Override
                public void gatedActivation(float[] a, float[] b, int n) {
                }
            });
            float[] x = new float[T * H];
            SplittableRandom r = new SplittableRandom(T);
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            f.forward(m, x, T, new float[T * H]);
            assertThat(calls.get(m.router)).containsExactly(1, T);
            long rows = 0;
            int used = 0;
            for (int e = 0; e < m.experts(); e++) {
                int[] g = calls.get(m.gate[e]);
                if (g == null) continue;
                used++;
                assertThat(g[0]).as("expert " + e + " gate runs in one step").isEqualTo(1);
                assertThat(calls.get(m.up[e])).containsExactly(1, g[1]);
                assertThat(calls.get(m.down[e])).containsExactly(1, g[1]);
                rows += g[1];
            }
            System.out.printf("T=%d: %d of %d experts run, once each, %d rows%n", T, used, m.experts(), rows);
            assertThat(rows).isEqualTo((long) T * c.topK());
            assertThat(used).isBetween(c.topK(), T == 1 ? c.topK() : m.experts());
        }
    }
}
