package sq.quant;

import sq.kernels.Int8Epilogue;
import sq.kernels.Int8MatMul;
import sq.model.Linear;

/**
 * Int8 linears that read the same input (q, k, v; gate, up) run as one int8 matmul over their rows: the input is
 * quantized (and laid out or packed by the kernel) once instead of once per linear, and one call keeps both threads
 * busy where the small k/v projections alone would not. Each output block goes to its own linear's dequantization.
 *
 * <p>Applies when the weights lie back to back in one array (as {@link Int8Quantizer#oneArrayPerLayer} stores a
 * layer), the linears quantize their input the same way, weights are per channel or per tensor (not per group, not
 * pre-packed) and every output count is a multiple of {@link #ALIGN}, so no kernel block straddles two linears.
 * Weights mapped from a file (which keeps q, k, v apart, in its sorted tensor order) share the quantized input and
 * run one kernel call each. Otherwise the linears run one by one. The results are the same bits every way.
 */
public final class Int8SharedInput {
    /** Output counts must be multiples of this: the GEMV's and the GEMM's output blocks (64, 32) both divide it. */
    static final int ALIGN = 64;

    private Int8SharedInput() {
    }

    /** ys[i] = linears[i](x) for the T rows of x. */
    static void forward(Linear[] linears, float[] x, int T, float[][] ys) {
        Int8Linear[] each = mapped(linears);
        if (each != null) {
            Int8Linear first = each[0];
            Int8Linear.Scratch s = Int8Linear.inputBuffer();
            float[] xScale = first.quantizeInput(x, T, s);
            int in = first.in();
            for (int i = 0; i < each.length; i++) {
                Int8Linear q = each[i];
                Quantizer.Int8Weights.Mapped m = q.weights().mapped();
                m.file().require(); // see Int8Linear.forward
                Int8MatMul.dots(s.xq, 0, in, T, m.bytes(), 0, in, in, q.out(),
                        Int8Epilogue.dequantize(xScale, q.weights().scales(), q.bias(), ys[i], q.out()));
                q.finishOutput(ys[i], T);
            }
            return;
        }
        Int8Linear[] group = fusable(linears);
        if (group == null) {
            for (int i = 0; i < linears.length; i++) linears[i].forward(x, T, ys[i]); // not Linear's default: that would recurse here
            return;
        }
        Int8Linear first = group[0];
        Int8Linear.Scratch s = Int8Linear.inputBuffer();
        float[] xScale = first.quantizeInput(x, T, s);
        int in = first.in(), total = 0;
        int[] start = new int[group.length];
        Int8Epilogue[] parts = new Int8Epilogue[group.length];
        for (int i = 0; i < group.length; i++) {
            start[i] = total;
            total += group[i].out();
            parts[i] = Int8Epilogue.dequantize(xScale, group[i].weights().scales(), group[i].bias(), ys[i], group[i].out());
        }
        Int8MatMul.dots(s.xq, 0, in, T, first.weights().data(), first.weights().offset(), in, in, total, (acc, ld, rows, o, n) -> {
            int i = group.length - 1;
            while (start[i] > o) i--;
            parts[i].write(acc, ld, rows, o - start[i], n);
        });
        for (int i = 0; i < group.length; i++) group[i].finishOutput(ys[i], T);
    }

    /** The linears as one group, or null where {@link #forward} has to run them one by one. */
    static Int8Linear[] fusable(Linear[] linears) {
        Int8Linear[] g = new Int8Linear[linears.length];
        for (int i = 0; i < linears.length; i++) {
            if (!(linears[i] instanceof Int8Linear q) || q.hasPackedWeights() || q.out() % ALIGN != 0
                    || q.weights().granularity() == WeightGranularity.PER_GROUP || q.weights().mapped() != null) return null;
            g[i] = q;
            if (i > 0) {
                Quantizer.Int8Weights a = g[i - 1].weights(), b = q.weights();
                if (!g[0].sameInputQuantization(q) || a.data() != b.data() || b.offset() != a.offset() + a.out() * a.in())
                    return null;
            }
        }
        return g;
    }

    /** The linears when all are mapped per-channel or per-tensor int8 linears quantizing their input alike, else null. */
    static Int8Linear[] mapped(Linear[] linears) {
        Int8Linear[] g = new Int8Linear[linears.length];
        for (int i = 0; i < linears.length; i++) {
            if (!(linears[i] instanceof Int8Linear q) || q.weights().mapped() == null || q.hasPackedWeights()
                    || q.weights().granularity() == WeightGranularity.PER_GROUP || i > 0 && !g[0].sameInputQuantization(q))
                return null;
            g[i] = q;
        }
        return g;
    }
}
