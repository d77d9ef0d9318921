package sq.bert;

import sq.io.InputException;
import sq.io.onnx.OnnxModel;
import sq.io.onnx.OnnxNode;
import sq.io.onnx.OnnxTensor;
import sq.model.DenseLinear;
import sq.model.Linear;
import sq.model.NormWeights;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds the initializers of an ONNX BERT-family encoder to {@link BertModel} by following the graph, not the
 * initializer names (exporters name MatMul weights "onnx::MatMul_787" and the like):
 * <ul>
 * <li>embeddings: the Gathers of 2-D weight tables by input_ids, token_type_ids and position ids, summed by Adds
 * into a LayerNorm;</li>
 * <li>per layer, from the hidden value x: three MatMul+Add linears reading x; which one is q, k or v follows from
 * where their outputs go (q and k meet in the scores MatMul, v in the one after the Softmax); the heads from the
 * Reshape's shape; the context through Transpose/Reshape into the output MatMul+Add, the residual Add with x, a
 * LayerNorm; then MatMul+Add, GELU (Erf pattern or a Gelu node), MatMul+Add, residual Add, LayerNorm.</li>
 * </ul>
 * A LayerNorm is a LayerNormalization node or the exporters' ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add
 * pattern. MatMul weights are [in, out] and are transposed once here. Anything else is an InputException naming the
 * file and the pattern that was not found.
 */
public final class OnnxBert {
    private final OnnxModel m;
    private final Path file;
    private final Map<String, OnnxNode> producers;
    private final Map<String, List<OnnxNode>> consumers;
    private Float eps;

    private OnnxBert(OnnxModel model) {
        this.m = model;
        this.file = model.file();
        this.producers = model.producers();
        this.consumers = model.consumers();
    }

    public static BertModel load(Path onnxFile) {
        return bind(OnnxModel.read(onnxFile));
    }

    public static BertModel bind(OnnxModel model) {
        return new OnnxBert(model).bind();
    }

    private record Lin(String input, float[] weight, float[] bias, int in, int out, String output, OnnxNode matmul) {
        DenseLinear dense(String name) {
            return new DenseLinear(name, weight, bias, in, out);
        }
    }

    private record Ln(NormWeights weights, String output) {
    }

    private BertModel bind() {
        // ---- embeddings ----
        OnnxNode word = null, type = null;
        List<OnnxNode> others = new ArrayList<>();
        for (OnnxNode n : m.nodes()) {
            if (!n.opType().equals("Gather")) continue;
            OnnxTensor t = m.initializer(n.input(0));
            if (t == null || t.rank() != 2 || t.dataType() != OnnxTensor.FLOAT) continue;
            boolean byInput = m.inputs().contains(n.input(1));
            if (byInput && n.input(1).contains("token_type")) type = n;
            else if (byInput && word == null) word = n;
            else others.add(n);
        }
        if (word == null)
            throw notBert("no word-embedding Gather (a Gather of a 2-D float initializer indexed by the graph input input_ids)");
        float[] wordEmb = floats(word.input(0));
        int vocab = m.initializer(word.input(0)).dim(0), hidden = m.initializer(word.input(0)).dim(1);
        // Follow the sums of the embeddings to the LayerNorm, noting which tables were added.
        String sum = word.output(0);
        float[] posEmb = null, typeEmb = null;
        int maxPositions = 0, typeVocab = 1;
        Set<String> seen = new HashSet<>();
        while (true) {
            OnnxNode add = consumer(sum, "Add");
            if (add == null || !seen.add(add.output(0))) break;
            OnnxNode table = producers.get(other(add, sum));
            if (table != null && table.opType().equals("Gather") && m.initializer(table.input(0)) != null) {
                OnnxTensor t = m.initializer(table.input(0));
                if (t.rank() != 2 || t.dim(1) != hidden) throw notBert("embedding table '" + t.name() + "' has shape " + dims(t));
                if (table == type) {
                    typeEmb = floats(table.input(0));
                    typeVocab = t.dim(0);
                } else {
                    posEmb = floats(table.input(0));
                    maxPositions = t.dim(0);
                }
            }
            sum = add.output(0);
        }
        if (posEmb == null)
            throw notBert("no position-embedding Gather added to the word embeddings (absolute positions)");
        if (typeEmb == null) typeEmb = new float[hidden];
        Ln embNorm = layerNorm(sum, "embeddings.LayerNorm");
        if (embNorm == null) throw notBert("no LayerNorm after the embeddings sum " + describe(sum) + lnPattern());

        // ---- encoder layers ----
        List<BertLayer> layers = new ArrayList<>();
        String x = embNorm.output();
        int heads = 0, intermediate = 0;
        float scale = Float.NaN;
        BertConfig.Activation activation = null;
        while (true) {
            List<Lin> qkv = new ArrayList<>();
            for (OnnxNode n : consumers.getOrDefault(x, List.of())) {
                Lin l = linear(n, x);
                if (l != null) qkv.add(l);
            }
            if (qkv.isEmpty()) break;
            int L = layers.size();
            String where = "layer " + L + ": ";
            if (qkv.size() != 3)
                throw notBert(where + "expected three MatMul linears (query, key, value) reading " + describe(x) + ", found " + qkv.size());
            Lin q = null, k = null, v = null;
            OnnxNode scores = null;
            for (Lin l : qkv) {
                OnnxNode[] bmm = attentionMatMul(l.output());
                if (bmm == null) throw notBert(where + "the output of linear " + l.matmul() + " reaches no attention MatMul");
                OnnxNode mm = bmm[0];
                boolean afterSoftmax = fromSoftmax(mm.input(0));
                if (afterSoftmax) v = l;
                else if (bmm[1] == null) q = l; // reached input 0
                else k = l;
                if (!afterSoftmax) scores = mm;
            }
            if (q == null || k == null || v == null)
                throw notBert(where + "cannot tell query, key and value apart (expected MatMul(q, k^T) and MatMul(Softmax, v))");
            int[] hd = headShape(q.output());
            if (hd == null) throw notBert(where + "no Reshape of the query into [batch, tokens, heads, head size] with constant heads");
            if (heads == 0) heads = hd[0];
            if (hd[0] * hd[1] != q.out() || hd[0] != heads)
                throw notBert(where + "heads " + hd[0] + " x head size " + hd[1] + " do not match the query width " + q.out());
            float s = attentionScale(scores, hd[1]);
            if (Float.isNaN(scale)) scale = s;
            OnnxNode context = consumer(v.output(), null) == null ? null : contextMatMul(v.output());
            Lin o = context == null ? null : linearAfter(context.output(0));
            if (o == null) throw notBert(where + "no output projection (MatMul + Add) after the attention context");
            String res1 = residual(o.output(), x);
            if (res1 == null) throw notBert(where + "no residual Add of the attention output and " + describe(x));
            Ln attnNorm = layerNorm(res1, BertModel.linearName(L, "attention.output.LayerNorm"));
            if (attnNorm == null) throw notBert(where + "no LayerNorm after the attention residual" + lnPattern());
            String a = attnNorm.output();
            Lin fc1 = null;
            for (OnnxNode n : consumers.getOrDefault(a, List.of())) {
                Lin l = linear(n, a);
                if (l != null) fc1 = l;
            }
            if (fc1 == null) throw notBert(where + "no intermediate MatMul + Add reading the attention LayerNorm output");
            Object[] act = activationTo(fc1.output());
            if (act == null) throw notBert(where + "no GELU (Erf pattern or Gelu node) between the intermediate and output MatMuls");
            BertConfig.Activation kind = (BertConfig.Activation) act[0];
            if (activation == null) activation = kind;
            else if (activation != kind) throw notBert(where + "activation " + kind + " differs from the first layer's " + activation);
            Lin fc2 = (Lin) act[1];
            String res2 = residual(fc2.output(), a);
            if (res2 == null) throw notBert(where + "no residual Add of the FFN output and the attention LayerNorm output");
            Ln outNorm = layerNorm(res2, BertModel.linearName(L, "output.LayerNorm"));
            if (outNorm == null) throw notBert(where + "no LayerNorm after the FFN residual" + lnPattern());
            if (q.in() != hidden || k.in() != hidden || v.in() != hidden || o.out() != hidden || fc1.in() != hidden || fc2.out() != hidden
                    || fc2.in() != fc1.out())
                throw notBert(where + "linear shapes do not chain: hidden " + hidden + ", q " + q.in() + "->" + q.out() + ", o " + o.in()
                        + "->" + o.out() + ", fc1 " + fc1.in() + "->" + fc1.out() + ", fc2 " + fc2.in() + "->" + fc2.out());
            if (intermediate == 0) intermediate = fc1.out();
            layers.add(new BertLayer(q.dense(BertModel.linearName(L, BertModel.Q)), k.dense(BertModel.linearName(L, BertModel.K)),
                    v.dense(BertModel.linearName(L, BertModel.V)), o.dense(BertModel.linearName(L, BertModel.O)), attnNorm.weights(),
                    fc1.dense(BertModel.linearName(L, BertModel.FC1)), fc2.dense(BertModel.linearName(L, BertModel.FC2)), outNorm.weights()));
            x = outNorm.output();
        }
        if (layers.isEmpty())
            throw notBert("no encoder layer: expected three MatMul nodes with weight initializers (query, key, value) reading the "
                    + "embeddings LayerNorm output " + describe(embNorm.output()));
        BertConfig cfg = new BertConfig(vocab, hidden, layers.size(), heads, intermediate, maxPositions, typeVocab, eps, scale, activation);
        return new BertModel(cfg, wordEmb, posEmb, typeEmb, embNorm.weights(), layers, file.toString());
    }

    // ---- patterns ----

    /** A MatMul of value x by a 2-D float initializer, with its bias Add if there is one; null if n is not that. */
    private Lin linear(OnnxNode n, String x) {
        if (!n.opType().equals("MatMul") || !n.input(0).equals(x)) return null;
        OnnxTensor w = m.initializer(n.input(1));
        if (w == null || w.rank() != 2 || w.dataType() != OnnxTensor.FLOAT) return null;
        int in = w.dim(0), out = w.dim(1);
        float[] raw = w.toFloats();
        float[] t = new float[raw.length];
        for (int i = 0; i < in; i++)
            for (int o = 0; o < out; o++) t[o * in + i] = raw[i * out + o];
        String y = n.output(0);
        float[] bias = null;
        OnnxNode add = consumer(y, "Add");
        if (add != null && consumers.get(y).size() == 1) {
            OnnxTensor b = m.initializer(other(add, y));
            if (b != null && b.rank() == 1 && b.dim(0) == out) {
                bias = b.toFloats();
                y = add.output(0);
            }
        }
        return new Lin(x, t, bias, in, out, y, n);
    }

    /** The linear reading value x (through nothing else), or null. */
    private Lin linearAfter(String x) {
        for (OnnxNode n : consumers.getOrDefault(x, List.of())) {
            Lin l = linear(n, x);
            if (l != null) return l;
        }
        return null;
    }

    /**
     * From a projection's output, through Reshape/Transpose (and Div/Mul by constants), to the MatMul of two
     * activations it feeds: {matmul, null} when it arrives at input 0, {matmul, matmul} at input 1.
     */
    private OnnxNode[] attentionMatMul(String value) {
        String v = value;
        for (int steps = 0; steps < 8; steps++) {
            OnnxNode next = null;
            for (OnnxNode c : consumers.getOrDefault(v, List.of())) {
                if (c.opType().equals("Shape")) continue;
                if (c.opType().equals("MatMul") && m.initializer(c.input(1)) == null) {
                    return c.input(0).equals(v) ? new OnnxNode[]{c, null} : new OnnxNode[]{c, c};
                }
                if (Set.of("Reshape", "Transpose", "Div", "Mul", "Cast").contains(c.opType())) next = c;
            }
            if (next == null) return null;
            v = next.output(0);
        }
        return null;
    }

    /** Whether value comes from a Softmax (possibly through Cast/Dropout). */
    private boolean fromSoftmax(String value) {
        OnnxNode p = producers.get(value);
        for (int i = 0; i < 3 && p != null; i++) {
            if (p.opType().equals("Softmax")) return true;
            if (!Set.of("Cast", "Dropout", "Identity").contains(p.opType())) return false;
            p = producers.get(p.input(0));
        }
        return false;
    }

    /** The MatMul(Softmax, v) that value v reaches. */
    private OnnxNode contextMatMul(String vOut) {
        OnnxNode[] r = attentionMatMul(vOut);
        if (r == null) return null;
        // then Transpose / Reshape back to [batch, tokens, hidden]
        String v = r[0].output(0);
        for (int steps = 0; steps < 6; steps++) {
            if (linearAfter(v) != null) {
                OnnxNode n = producers.get(v);
                return n == null ? r[0] : n;
            }
            OnnxNode next = null;
            for (OnnxNode c : consumers.getOrDefault(v, List.of()))
                if (c.opType().equals("Reshape") || c.opType().equals("Transpose")) next = c;
            if (next == null) return null;
            v = next.output(0);
        }
        return null;
    }

    /** {heads, headDim} from the Reshape of the query projection's output, or null. */
    private int[] headShape(String qOut) {
        OnnxNode reshape = consumer(qOut, "Reshape");
        if (reshape == null) return null;
        long[] shape = constantInts(reshape.input(1));
        if (shape == null) {
            OnnxNode concat = producers.get(reshape.input(1));
            if (concat == null || !concat.opType().equals("Concat") || concat.inputs().size() != 4) return null;
            long[] h = constantInts(concat.input(2)), d = constantInts(concat.input(3));
            if (h == null || d == null || h.length != 1 || d.length != 1) return null;
            shape = new long[]{0, 0, h[0], d[0]};
        }
        if (shape.length != 4 || shape[2] <= 0 || shape[3] <= 0) return null;
        return new int[]{(int) shape[2], (int) shape[3]};
    }

    /** The factor on the scores: Div by c gives 1/c, Mul by c gives c; default 1/sqrt(headDim). */
    private float attentionScale(OnnxNode scores, int headDim) {
        if (scores != null) {
            for (OnnxNode c : consumers.getOrDefault(scores.output(0), List.of())) {
                Float k = scalar(other(c, scores.output(0)));
                if (k == null) continue;
                if (c.opType().equals("Div")) return 1f / k;
                if (c.opType().equals("Mul")) return k;
            }
        }
        return (float) (1.0 / Math.sqrt(headDim));
    }

    /** The Add of value y and the residual value r, or null. */
    private String residual(String y, String r) {
        for (OnnxNode c : consumers.getOrDefault(y, List.of()))
            if (c.opType().equals("Add") && other(c, y).equals(r)) return c.output(0);
        return null;
    }

    /**
     * Walks from the intermediate linear's output to the next linear, collecting the element-wise ops in between:
     * {activation, the fc2 Lin}, or null.
     */
    private Object[] activationTo(String value) {
        Set<String> ops = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> visited = new HashSet<>();
        Lin fc2 = null;
        while (!todo.isEmpty() && visited.size() < 32) {
            String v = todo.poll();
            if (!visited.add(v)) continue;
            for (OnnxNode c : consumers.getOrDefault(v, List.of())) {
                Lin l = linear(c, v);
                if (l != null) {
                    if (fc2 != null && fc2.matmul() != l.matmul()) return null;
                    fc2 = l;
                    continue;
                }
                if (!Set.of("Div", "Mul", "Add", "Erf", "Tanh", "Pow", "Gelu", "FastGelu", "Relu", "Sigmoid", "Cast").contains(c.opType()))
                    return null;
                ops.add(c.opType());
                todo.add(c.output(0));
            }
        }
        if (fc2 == null) return null;
        BertConfig.Activation kind;
        if (ops.contains("Erf") || ops.contains("Gelu")) kind = BertConfig.Activation.GELU;
        else if (ops.contains("Tanh") || ops.contains("FastGelu")) kind = BertConfig.Activation.GELU_TANH;
        else if (ops.equals(Set.of("Relu"))) kind = BertConfig.Activation.RELU;
        else return null;
        return new Object[]{kind, fc2};
    }

    /** A LayerNorm reading x: the LayerNormalization node or the decomposed pattern; null if neither. */
    private Ln layerNorm(String x, String name) {
        OnnxNode ln = consumer(x, "LayerNormalization");
        if (ln != null) {
            float e = ln.floatAttribute("epsilon", 1e-5f);
            return norm(name, ln.input(1), ln.input(2), e, ln.output(0));
        }
        OnnxNode mean = consumer(x, "ReduceMean");
        if (mean == null) return null;
        OnnxNode sub = consumer(mean.output(0), "Sub");
        if (sub == null || !sub.input(0).equals(x)) return null;
        OnnxNode pow = consumer(sub.output(0), "Pow");
        OnnxNode var = pow == null ? null : consumer(pow.output(0), "ReduceMean");
        OnnxNode addEps = var == null ? null : consumer(var.output(0), "Add");
        Float e = addEps == null ? null : scalar(other(addEps, var.output(0)));
        OnnxNode sqrt = addEps == null ? null : consumer(addEps.output(0), "Sqrt");
        OnnxNode div = sqrt == null ? null : consumer(sqrt.output(0), "Div");
        if (e == null || div == null || !div.input(0).equals(sub.output(0))) return null;
        OnnxNode mul = consumer(div.output(0), "Mul");
        OnnxNode add = mul == null ? null : consumer(mul.output(0), "Add");
        if (add == null) return null;
        return norm(name, other(mul, div.output(0)), other(add, mul.output(0)), e, add.output(0));
    }

    private Ln norm(String name, String gamma, String beta, float e, String out) {
        OnnxTensor g = m.initializer(gamma), b = m.initializer(beta);
        if (g == null || b == null || g.numel() != b.numel()) return null;
        if (eps == null) eps = e;
        else if (Math.abs(eps - e) > 1e-3f * Math.abs(eps))
            throw notBert("LayerNorm epsilons differ (" + eps + " and " + e + ")");
        return new Ln(new NormWeights(name, g.toFloats(), b.toFloats()), out);
    }

    // ---- helpers ----

    /** The first consumer of value with this op type (any op type when null). */
    private OnnxNode consumer(String value, String op) {
        for (OnnxNode c : consumers.getOrDefault(value, List.of()))
            if (op == null || c.opType().equals(op)) return c;
        return null;
    }

    /** The other input of a two-input node. */
    private static String other(OnnxNode n, String one) {
        return n.input(0).equals(one) ? n.input(1) : n.input(0);
    }

    private Float scalar(String value) {
        OnnxTensor t = m.initializer(value);
        if (t == null || t.numel() != 1) return null;
        try {
            return t.toFloats()[0];
        } catch (InputException e) {
            return null;
        }
    }

    private long[] constantInts(String value) {
        OnnxTensor t = m.initializer(value);
        if (t == null) {
            OnnxNode p = producers.get(value); // Unsqueeze of a constant scalar
            if (p != null && p.opType().equals("Unsqueeze")) t = m.initializer(p.input(0));
        }
        if (t == null) return null;
        try {
            return t.toLongs();
        } catch (InputException e) {
            return null;
        }
    }

    private float[] floats(String initializer) {
        return m.initializer(initializer).toFloats();
    }

    private static String dims(OnnxTensor t) {
        return java.util.Arrays.toString(t.dims());
    }

    private String describe(String value) {
        OnnxNode p = producers.get(value);
        return "'" + value + "'" + (p == null ? "" : " (output of " + p.opType() + (p.name().isEmpty() ? "" : " '" + p.name() + "'") + ")");
    }

    private static String lnPattern() {
        return " (expected LayerNormalization or ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add)";
    }

    private InputException notBert(String problem) {
        return InputException.of(file, "not a BERT encoder graph: " + problem);
    }
}
