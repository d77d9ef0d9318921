package sq.inspect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import sq.io.Json;
import sq.quant.ActivationStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The outlier report: for every linear input (keyed by Hugging Face module name), statistics of its act_scales
 * (per-channel max|x| over the calibration tokens):
 * <ul>
 *   <li>max: the largest channel (= the per-tensor max|x|);</li>
 *   <li>median: torch.median's convention, the lower middle value of the sorted channels;</li>
 *   <li>ratio = max / median;</li>
 *   <li>top channels: the 8 largest channels with their values (ties: lower channel first);</li>
 *   <li>effective bits = log2(1 + 254 * median / max): a symmetric per-tensor int8 scale set by the max
 *       (step max/127) leaves the median channel the integer levels in [-127 median/max, +127 median/max], that is
 *       1 + 254 median/max of the 255 levels; log2 of that is the bits the median channel really gets
 *       (log2 255 = 7.99 when there is no outlier, about 8 - log2(ratio) when there is).</li>
 * </ul>
 */
public record OutlierReport(List<Entry> entries) {
    /** Channels listed per linear. */
    public static final int TOP = 8;
    /** A channel is an outlier when its max|x| is at least this many times the median channel's (LLM.int8()'s 6). */
    public static final double OUTLIER_FACTOR = 6.0;

    public record Channel(int channel, float value) {
    }

    /**
     * @param ratio         max / median (infinite when the median channel is 0)
     * @param effectiveBits log2(1 + 254 median / max); 0 when the input is all zero
     * @param outliers      channels at or above {@link #OUTLIER_FACTOR} x median
     */
    public record Entry(String module, int channels, float max, float median, double ratio, List<Channel> top,
                        double effectiveBits, int outliers) {
        public int argmax() {
            return top.getFirst().channel();
        }
    }

    public OutlierReport {
        entries = List.copyOf(entries);
    }

    public static OutlierReport of(ActivationStats stats) {
        List<Entry> list = new ArrayList<>();
        for (Map.Entry<String, ActivationStats.Entry> e : stats.entries().entrySet())
            list.add(entry(e.getKey(), e.getValue().channelMax()));
        return new OutlierReport(list);
    }

    public static Entry entry(String module, float[] act) {
        if (act.length == 0) throw new IllegalArgumentException(module + ": no channels");
        int[] order = ranking(act);
        float max = act[order[0]];
        float median = lowerMedian(act);
        List<Channel> top = new ArrayList<>();
        for (int i = 0; i < Math.min(TOP, order.length); i++) top.add(new Channel(order[i], act[order[i]]));
        int outliers = 0;
        for (float v : act) if (median > 0 && v >= OUTLIER_FACTOR * median) outliers++;
        return new Entry(module, act.length, max, median, ratio(max, median), top, effectiveBits(max, median), outliers);
    }

    public Entry get(String module) {
        return entries.stream().filter(e -> e.module().equals(module)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no linear " + module));
    }

    /** The lower middle value (torch.median): element (n - 1) / 2 of the sorted values. */
    public static float lowerMedian(float[] a) {
        float[] s = a.clone();
        Arrays.sort(s);
        return s[(s.length - 1) / 2];
    }

    public static double ratio(float max, float median) {
        return median > 0 ? (double) max / median : max > 0 ? Double.POSITIVE_INFINITY : 1.0;
    }

    /** log2(1 + 254 median / max): bits of the int8 grid (scale max/127) that a channel of size median uses. */
    public static double effectiveBits(double max, double median) {
        if (!(max > 0)) return 0;
        return Math.log1p(254.0 * median / max) / Math.log(2);
    }

    /** Channel indices by value, largest first; equal values keep the lower channel first. */
    public static int[] ranking(float[] a) {
        Integer[] idx = new Integer[a.length];
        for (int i = 0; i < a.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> -a[i]).thenComparingInt(i -> i));
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = idx[i];
        return r;
    }

    /** The largest ratio of any linear. */
    public Entry worst() {
        return entries.stream().max(Comparator.comparingDouble(Entry::ratio)).orElseThrow();
    }

    /** One row per linear: module, channels, max, median, ratio, effective_bits, outliers, top1_channel, top1_value, ... */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("module,channels,max,median,ratio,effective_bits,channels_over_6x_median");
        for (int i = 1; i <= TOP; i++) sb.append(",top").append(i).append("_channel,top").append(i).append("_value");
        sb.append('\n');
        for (Entry e : entries) {
            sb.append(e.module()).append(',').append(e.channels()).append(',').append(num(e.max())).append(',').append(num(e.median()))
                    .append(',').append(num(e.ratio())).append(',').append(num(e.effectiveBits())).append(',').append(e.outliers());
            for (int i = 0; i < TOP; i++) {
                if (i < e.top().size()) sb.append(',').append(e.top().get(i).channel()).append(',').append(num(e.top().get(i).value()));
                else sb.append(",,");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * {"model.layers.2.self_attn.q_proj": {"max", "median", "ratio", "top_channels": [{"channel", "value"}, ...],
     * "effective_bits", "channels", "channels_over_6x_median"}, ...}; a non-finite ratio is null.
     */
    public ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        for (Entry e : entries) {
            ObjectNode o = root.putObject(e.module());
            o.put("max", (double) e.max());
            o.put("median", (double) e.median());
            if (Double.isFinite(e.ratio())) o.put("ratio", e.ratio());
            else o.putNull("ratio");
            ArrayNode top = o.putArray("top_channels");
            for (Channel c : e.top()) top.addObject().put("channel", c.channel()).put("value", (double) c.value());
            o.put("effective_bits", e.effectiveBits());
            o.put("channels", e.channels());
            o.put("channels_over_6x_median", e.outliers());
        }
        return root;
    }

    /** Floats are written as the double of the same value (like the fixtures' JSON), so they parse back exactly. */
    static String num(float v) {
        return num((double) v);
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return Double.toString(v);
    }
}
