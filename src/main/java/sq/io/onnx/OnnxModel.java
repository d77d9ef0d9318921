package sq.io.onnx;

import sq.io.InputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model file read with a small protobuf wire-format reader (no generated code): the main graph's nodes,
 * its initializers (weight tensors; Constant nodes' tensor values count as initializers too), inputs and outputs,
 * and the opset imports. Only what an inference engine needs is kept; unknown fields are skipped, as protobuf
 * does. Sizes and lengths are checked, so a truncated or corrupt file is an {@link InputException} naming it.
 *
 * <p>Field numbers (onnx.proto3): ModelProto ir_version 1, producer_name 2, opset_import 8, graph 7;
 * GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4,
 * attribute 5, domain 7; AttributeProto name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, strings 9, type 20;
 * TensorProto dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9, double_data 10,
 * uint64_data 11, data_location 14; ValueInfoProto name 1; OperatorSetIdProto domain 1, version 2.
 */
public final class OnnxModel {
    private final Path file;
    private final long irVersion;
    private final String producer;
    private final Map<String, Long> opsets;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs, outputs;

    private OnnxModel(Path file, long irVersion, String producer, Map<String, Long> opsets, List<OnnxNode> nodes,
                      Map<String, OnnxTensor> initializers, List<String> inputs, List<String> outputs) {
        this.file = file;
        this.irVersion = irVersion;
        this.producer = producer;
        this.opsets = opsets;
        this.nodes = nodes;
        this.initializers = initializers;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Reads a whole .onnx file (at most 2 GB; external data is not supported). */
    public static OnnxModel read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8)
                throw InputException.of(file, "ONNX files over 2 GB (external data) are not supported");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "file not found");
        } catch (IOException e) {
            throw InputException.of(file, "cannot read: " + e.getMessage());
        }
        return parse(file, bytes);
    }

    /** Parses the bytes of an .onnx file; file only names it in messages. */
    public static OnnxModel parse(Path file, byte[] bytes) {
        if (bytes.length == 0) throw InputException.of(file, "empty file, not an ONNX model");
        ProtoReader r = new ProtoReader(file, bytes, 0, bytes.length, "ModelProto");
        long ir = -1;
        String producer = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Graph graph = null;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    r.expect(tag, ProtoReader.VARINT);
                    ir = r.varint();
                }
                case 2 -> {
                    r.expect(tag, ProtoReader.LEN);
                    producer = r.string();
                }
                case 7 -> {
                    r.expect(tag, ProtoReader.LEN);
                    graph = graph(file, r.message("graph"));
                }
                case 8 -> {
                    r.expect(tag, ProtoReader.LEN);
                    ProtoReader o = r.message("opset_import");
                    String domain = "";
                    long version = 0;
                    while (o.hasMore()) {
                        int t = o.tag();
                        if (t >>> 3 == 1 && (t & 7) == ProtoReader.LEN) domain = o.string();
                        else if (t >>> 3 == 2 && (t & 7) == ProtoReader.VARINT) version = o.varint();
                        else o.skip(t);
                    }
                    opsets.put(domain, version);
                }
                default -> r.skip(tag);
            }
        }
        if (graph == null || ir < 0)
            throw InputException.of(file, "not an ONNX model: no " + (graph == null ? "graph" : "ir_version") + " field");
        return new OnnxModel(file, ir, producer, Collections.unmodifiableMap(opsets), List.copyOf(graph.nodes),
                Collections.unmodifiableMap(graph.initializers), List.copyOf(graph.inputs), List.copyOf(graph.outputs));
    }

    private record Graph(List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs, List<String> outputs) {
    }

    private static Graph graph(Path file, ProtoReader r) {
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> init = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    r.expect(tag, ProtoReader.LEN);
                    nodes.add(node(file, r.message("graph.node[" + nodes.size() + "]")));
                }
                case 5 -> {
                    r.expect(tag, ProtoReader.LEN);
                    OnnxTensor t = tensor(file, r.message("graph.initializer[" + init.size() + "]"));
                    init.put(t.name(), t);
                }
                case 11, 12 -> {
                    r.expect(tag, ProtoReader.LEN);
                    ProtoReader v = r.message(tag >>> 3 == 11 ? "graph.input" : "graph.output");
                    String name = "";
                    while (v.hasMore()) {
                        int t = v.tag();
                        if (t >>> 3 == 1 && (t & 7) == ProtoReader.LEN) name = v.string();
                        else v.skip(t);
                    }
                    (tag >>> 3 == 11 ? inputs : outputs).add(name);
                }
                default -> r.skip(tag);
            }
        }
        // Constant nodes with a tensor value are weights too (some exporters fold parameters into them).
        for (OnnxNode n : nodes)
            if (n.opType().equals("Constant") && n.domain().isEmpty() && n.attributes().get("value") instanceof OnnxTensor t
                    && !n.outputs().isEmpty())
                init.putIfAbsent(n.output(0), t.renamed(n.output(0)));
        // Initializers listed as graph inputs (IR < 4) are not real inputs.
        inputs.removeIf(init::containsKey);
        return new Graph(nodes, init, inputs, outputs);
    }

    private static OnnxNode node(Path file, ProtoReader r) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String name = "", op = "", domain = "";
        Map<String, Object> attrs = new LinkedHashMap<>();
        while (r.hasMore()) {
            int tag = r.tag();
            int f = tag >>> 3;
            if (f == 1 || f == 2 || f == 3 || f == 4 || f == 7 || f == 5) r.expect(tag, ProtoReader.LEN);
            switch (f) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 7 -> domain = r.string();
                case 5 -> attribute(file, r.message("attribute of node '" + name + "'"), attrs);
                default -> r.skip(tag);
            }
        }
        if (op.isEmpty()) throw InputException.of(file, "corrupt ONNX file: a node" + (name.isEmpty() ? "" : " '" + name + "'") + " has no op_type");
        return new OnnxNode(name, op, domain, List.copyOf(in), List.copyOf(out), Collections.unmodifiableMap(attrs));
    }

    private static void attribute(Path file, ProtoReader r, Map<String, Object> attrs) {
        String name = null;
        Object value = null;
        List<Long> ints = null;
        List<Float> floats = null;
        List<String> strings = null;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    r.expect(tag, ProtoReader.LEN);
                    name = r.string();
                }
                case 2 -> {
                    r.expect(tag, ProtoReader.I32);
                    value = r.fixed32Float();
                }
                case 3 -> {
                    r.expect(tag, ProtoReader.VARINT);
                    value = r.varint();
                }
                case 4 -> {
                    r.expect(tag, ProtoReader.LEN);
                    value = r.string();
                }
                case 5 -> {
                    r.expect(tag, ProtoReader.LEN);
                    value = tensor(file, r.message("attribute tensor"));
                }
                case 7 -> {
                    if (floats == null) floats = new ArrayList<>();
                    r.floats(tag, floats::add);
                }
                case 8 -> {
                    if (ints == null) ints = new ArrayList<>();
                    r.int64s(tag, ints::add);
                }
                case 9 -> {
                    r.expect(tag, ProtoReader.LEN);
                    if (strings == null) strings = new ArrayList<>();
                    strings.add(r.string());
                }
                default -> r.skip(tag);
            }
        }
        if (name == null) return;
        if (value == null && ints != null) value = ints.stream().mapToLong(Long::longValue).toArray();
        if (value == null && floats != null) {
            float[] a = new float[floats.size()];
            for (int i = 0; i < a.length; i++) a[i] = floats.get(i);
            value = a;
        }
        if (value == null && strings != null) value = List.copyOf(strings);
        if (value != null) attrs.put(name, value);
    }

    private static OnnxTensor tensor(Path file, ProtoReader r) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        int[] raw = null;
        FloatList floats = null;
        LongList longs = null;
        double[][] doubles = {null};
        List<Double> doubleList = null;
        boolean external = false;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> r.int64s(tag, dims::add);
                case 2 -> {
                    r.expect(tag, ProtoReader.VARINT);
                    type = r.int32();
                }
                case 4 -> {
                    if (floats == null) floats = new FloatList();
                    r.floats(tag, floats::add);
                }
                case 5, 7, 11 -> {
                    if (longs == null) longs = new LongList();
                    r.int64s(tag, longs::add);
                }
                case 8 -> {
                    r.expect(tag, ProtoReader.LEN);
                    name = r.string();
                }
                case 9 -> {
                    r.expect(tag, ProtoReader.LEN);
                    raw = r.bytesRange();
                }
                case 10 -> {
                    if (doubleList == null) doubleList = new ArrayList<>();
                    r.doubles(tag, doubleList::add);
                }
                case 14 -> {
                    r.expect(tag, ProtoReader.VARINT);
                    external = r.varint() == 1;
                }
                default -> r.skip(tag);
            }
        }
        if (external) throw InputException.of(file, "tensor '" + name + "' keeps its data in an external file, which is not supported");
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        for (long x : d)
            if (x < 0) throw InputException.of(file, "corrupt ONNX file: tensor '" + name + "' has a negative dimension " + x);
        if (doubleList != null) doubles[0] = doubleList.stream().mapToDouble(Double::doubleValue).toArray();
        return new OnnxTensor(file, name, type, d, raw == null ? null : r.buffer(), raw == null ? 0 : raw[0], raw == null ? 0 : raw[1],
                floats == null ? null : floats.toArray(), longs == null ? null : longs.toArray(), doubles[0]);
    }

    public Path file() {
        return file;
    }

    public long irVersion() {
        return irVersion;
    }

    public String producer() {
        return producer;
    }

    /** Opset version by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    public OnnxTensor initializer(String name) {
        return initializers.get(name);
    }

    /** The graph's real inputs (initializers excluded). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The node producing each value name. */
    public Map<String, OnnxNode> producers() {
        Map<String, OnnxNode> m = new HashMap<>();
        for (OnnxNode n : nodes)
            for (String o : n.outputs()) if (!o.isEmpty()) m.put(o, n);
        return m;
    }

    /** The nodes consuming each value name, in graph order. */
    public Map<String, List<OnnxNode>> consumers() {
        Map<String, List<OnnxNode>> m = new HashMap<>();
        for (OnnxNode n : nodes)
            for (String i : n.inputs()) if (!i.isEmpty()) m.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        return m;
    }

    private static final class FloatList {
        float[] a = new float[16];
        int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    private static final class LongList {
        long[] a = new long[16];
        int n;

        void add(long v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
