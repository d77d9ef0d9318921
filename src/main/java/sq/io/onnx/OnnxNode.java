package sq.io.onnx;

import java.util.List;
import java.util.Map;

/**
 * A NodeProto: operator type (and domain, "" for the default ONNX domain), its input and output value names
 * ("" marks an omitted optional input) and attributes. Attribute values are Long, Float, String, OnnxTensor,
 * long[], float[] or List&lt;String&gt;; subgraph attributes are not kept.
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, Object> attributes) {

    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    public long intAttribute(String key, long fallback) {
        return attributes.get(key) instanceof Long l ? l : fallback;
    }

    public float floatAttribute(String key, float fallback) {
        return attributes.get(key) instanceof Float f ? f : fallback;
    }

    @Override
    public String toString() {
        return opType + (name.isEmpty() ? "" : " '" + name + "'") + " " + inputs + " -> " + outputs;
    }
}
