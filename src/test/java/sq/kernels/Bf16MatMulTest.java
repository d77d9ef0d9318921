package sq.kernels;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class Bf16MatMulTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random bf16 bits (finite: exponent below all-ones), negative values and zeros included. */
    private static short[] bf16(Random r, int n) {
        short[] h = new short[n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16;
            h[i] = (short) (i % 13 == 0 ? 0 : bits);
        }
        return h;
    }

    /** Scalar reference of the widening: the bf16 bits become the high half of the float. */
    private static float widen(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    @Test
    void equalsMatMulOnTheWidenedWeightsBitForBitOnOddShapesAndTails() {
        Random r = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int in : new int[]{1, 7, 16, 33, 257})
                for (int out : new int[]{1, 3, 4, 5, 9, 67})
                    for (int T : new int[]{1, 2, 9})
                        for (boolean withBias : new boolean[]{false, true}) {
                            short[] h = bf16(r, in * out);
                            // odd byte offset inside a larger segment: unaligned, as slices of a mapped file may be
                            MemorySegment w = arena.allocate(2L * h.length + 3).asSlice(1, 2L * h.length);
                            float[] wide = new float[h.length];
                            for (int i = 0; i < h.length; i++) {
                                w.setAtIndex(LE, i, h[i]);
                                wide[i] = widen(h[i]);
                            }
                            float[] x = new float[T * in], bias = withBias ? new float[out] : null;
                            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                            if (bias != null) for (int i = 0; i < out; i++) bias[i] = (float) r.nextGaussian();
                            float[] got = new float[T * out], want = new float[T * out];
                            Bf16MatMul.matmul(x, T, w, bias, in, out, got);
                            MatMul.matmul(x, T, wide, bias, in, out, want);
                            String at = "T=" + T + " in=" + in + " out=" + out + " bias=" + withBias;
                            assertThat(got).as(at).containsExactly(want);
                            for (int t = 0; t < T; t++)
                                for (int o = 0; o < out; o++) { // and close to a double-precision scalar reference
                                    double s = bias == null ? 0 : bias[o];
                                    for (int i = 0; i < in; i++) s += (double) x[t * in + i] * wide[o * in + i];
                                    assertThat((double) got[t * out + o]).as(at).isCloseTo(s, within(1e-4 * (1 + in)));
                                }
                        }
        }
    }

    @Test
    void widenIsExactForEveryBitPatternInTheVectorLoopAndTheTail() {
        int n = 65536 + 5; // every 16-bit pattern, then a tail shorter than a vector
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * n);
            for (int i = 0; i < n; i++) w.setAtIndex(LE, i, (short) i);
            float[] got = new float[n + 2];
            Bf16MatMul.widen(w, 0, got, 2, n);
            for (int i = 0; i < n; i++)
                assertThat(Float.floatToRawIntBits(got[i + 2])).as("bits %04x", i & 0xffff).isEqualTo(Float.floatToRawIntBits(widen((short) i)));
        }
    }
}
