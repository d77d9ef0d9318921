package sq.quant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sq.model.Linear;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Linears sharing an input, run as one int8 matmul, give exactly what each gives on its own. */
class Int8SharedInputTest {

    @ParameterizedTest(name = "T={0} {1} {2} outs={3}")
    @CsvSource({
            "1, PER_TOKEN, PER_CHANNEL, 128;64;64",
            "7, PER_TOKEN, PER_CHANNEL, 128;64;64",
            "33, PER_TENSOR_DYNAMIC, PER_TENSOR, 192;64",
            "5, PER_TENSOR_STATIC, PER_CHANNEL, 64;128",
            "1, PER_TENSOR_STATIC, PER_TENSOR, 256;64;192"})
    void oneMatmulEqualsOneByOne(int T, ActivationGranularity a, WeightGranularity g, String outs) {
        Random r = new Random(T);
        int in = 77;
        Linear[] linears = contiguous(r, in, parse(outs), a, g, 3.5f);
        assertThat(Int8SharedInput.fusable(linears)).as("the group runs as one matmul").isNotNull();
        float[] x = random(r, T * in);
        float[][] shared = outputs(linears, T), alone = outputs(linears, T);
        linears[0].forwardShared(linears, x, T, shared);
        for (int i = 0; i < linears.length; i++) linears[i].forward(x, T, alone[i]);
        for (int i = 0; i < linears.length; i++) assertThat(shared[i]).as("output %d", i).containsExactly(alone[i]);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"unaligned", "apart", "different static max"})
    void groupsThatCannotShareRunOneByOne(String why) {
        Random r = new Random(5);
        int in = 40, T = 3;
        Linear[] linears = switch (why) {
            case "unaligned" -> contiguous(r, in, new int[]{64, 48}, ActivationGranularity.PER_TOKEN, WeightGranularity.PER_CHANNEL, 1f);
            case "apart" -> new Linear[]{
                    contiguous(r, in, new int[]{64}, ActivationGranularity.PER_TOKEN, WeightGranularity.PER_CHANNEL, 1f)[0],
                    contiguous(r, in, new int[]{64}, ActivationGranularity.PER_TOKEN, WeightGranularity.PER_CHANNEL, 1f)[0]};
            default -> new Linear[]{
                    contiguous(r, in, new int[]{64}, ActivationGranularity.PER_TENSOR_STATIC, WeightGranularity.PER_CHANNEL, 1f)[0],
                    contiguous(r, in, new int[]{64}, ActivationGranularity.PER_TENSOR_STATIC, WeightGranularity.PER_CHANNEL, 2f)[0]};
        };
        assertThat(Int8SharedInput.fusable(linears)).isNull();
        float[] x = random(r, T * in);
        float[][] shared = outputs(linears, T), alone = outputs(linears, T);
        linears[0].forwardShared(linears, x, T, shared);
        for (int i = 0; i < linears.length; i++) linears[i].forward(x, T, alone[i]);
        for (int i = 0; i < linears.length; i++) assertThat(shared[i]).containsExactly(alone[i]);
    }

    /** Int8 linears with the given output counts, their weights back to back in one array, with biases. */
    private static Linear[] contiguous(Random r, int in, int[] outs, ActivationGranularity a, WeightGranularity g, float inputMax) {
        int total = 0;
        for (int o : outs) total += o * in;
        byte[] data = new byte[total];
        Linear[] ls = new Linear[outs.length];
        int at = 0;
        for (int i = 0; i < outs.length; i++) {
            Quantizer.Int8Weights w = Quantizer.int8(random(r, outs[i] * in), outs[i], in, g, 0).movedTo(data, at);
            at += outs[i] * in;
            ls[i] = new Int8Linear("l" + i, w, random(r, outs[i]), a, inputMax, false, 0f);
        }
        return ls;
    }

    private static int[] parse(String outs) {
        return java.util.Arrays.stream(outs.split(";")).mapToInt(Integer::parseInt).toArray();
    }

    private static float[][] outputs(Linear[] ls, int T) {
        float[][] ys = new float[ls.length][];
        for (int i = 0; i < ls.length; i++) ys[i] = new float[T * ls[i].out()];
        return ys;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
