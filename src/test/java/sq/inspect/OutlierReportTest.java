package sq.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import sq.eval.Windows;
import sq.io.Json;
import sq.model.Model;
import sq.model.ModelLoader;
import sq.quant.ActivationStats;
import sq.quant.Calibrator;
import sq.testing.Fixtures;
import sq.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The outlier report: torch.median's convention, the fixtures' golden outliers, CSV/JSON equal to the act scales. */
class OutlierReportTest {

    @Test
    void medianIsTheLowerMiddleValueLikeTorch() {
        assertThat(OutlierReport.lowerMedian(new float[]{4, 1, 3, 2})).isEqualTo(2f);
        assertThat(OutlierReport.lowerMedian(new float[]{5, 1, 3})).isEqualTo(3f);
        assertThat(OutlierReport.lowerMedian(new float[]{7})).isEqualTo(7f);
    }

    @Test
    void effectiveBitsAreLog2OfTheLevelsLeftToTheMedianChannel() {
        assertThat(OutlierReport.effectiveBits(3, 3)).isCloseTo(Math.log(255) / Math.log(2), within(1e-12));
        // ratio 127: the median channel gets the levels -1, 0, 1 (log2 3 bits); ratio 254: half a level each side (1 bit)
        assertThat(OutlierReport.effectiveBits(127, 1)).isCloseTo(Math.log(3) / Math.log(2), within(1e-12));
        assertThat(OutlierReport.effectiveBits(254, 1)).isCloseTo(1, within(1e-12));
        assertThat(OutlierReport.effectiveBits(2, 1)).isCloseTo(Math.log(128) / Math.log(2), within(1e-12));
        assertThat(OutlierReport.effectiveBits(0, 0)).isZero();
    }

    @Test
    void topChannelsAreTheLargestWithTiesByChannel() {
        OutlierReport.Entry e = OutlierReport.entry("x", new float[]{1, 9, 3, 9, 0.5f, 2, 2, 2, 2, 1});
        assertThat(e.top()).hasSize(8);
        assertThat(e.top().stream().map(OutlierReport.Channel::channel).toList()).containsExactly(1, 3, 2, 5, 6, 7, 8, 0);
        assertThat(e.max()).isEqualTo(9f);
        assertThat(e.median()).isEqualTo(2f);
        assertThat(e.ratio()).isEqualTo(4.5);
        assertThat(e.outliers()).isZero();
        assertThat(OutlierReport.entry("y", new float[]{1, 1, 1, 6, 1}).outliers()).isEqualTo(1);
    }

    /** The fixtures' results.json "outliers" for stories260K: calibrate windows 100..115 of tinystories-val.txt. */
    @Test
    void stories260kReproducesTheGoldenOutliers() throws Exception {
        Path dir = Fixtures.bundled("stories260K");
        Model model = ModelLoader.load(dir);
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        String text = new String(Files.readAllBytes(Fixtures.bundled("text/tinystories-val.txt")), StandardCharsets.UTF_8);
        ActivationStats stats = Calibrator.calibrate(model, Windows.of(tok.encode(text), 256, 100, 16, "tinystories-val"), i -> { });
        OutlierReport report = OutlierReport.of(stats);
        JsonNode golden = Json.read(dir.resolve("golden/results.json")).get("outliers");
        assertThat(report.entries()).hasSize(golden.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = golden.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> g = it.next();
            OutlierReport.Entry e = report.get(g.getKey());
            JsonNode v = g.getValue();
            assertThat((double) e.max()).as(g.getKey() + " max").isCloseTo(v.get("max").asDouble(), within(1e-5 * v.get("max").asDouble()));
            assertThat((double) e.median()).as(g.getKey() + " median").isCloseTo(v.get("median").asDouble(), within(1e-5 * v.get("median").asDouble()));
            assertThat(e.ratio()).as(g.getKey() + " ratio").isCloseTo(v.get("ratio").asDouble(), within(2e-5 * v.get("ratio").asDouble()));
            assertThat(e.argmax()).as(g.getKey() + " argmax").isEqualTo(v.get("argmax_channel").asInt());
            assertThat(e.outliers()).as(g.getKey() + " over 6x").isEqualTo(v.get("n_channels_over_6x_median").asInt());
        }
    }

    /** outliers.csv and outliers.json hold exactly the numbers of the act scales they were made from. */
    @Test
    void csvAndJsonEqualTheFixtureActScales() throws Exception {
        ActivationStats stats = ActivationStats.load(Fixtures.bundled("stories260K/golden/act_scales.safetensors"));
        OutlierReport report = OutlierReport.of(stats);
        List<String> lines = report.toCsv().lines().toList();
        String[] header = lines.getFirst().split(",", -1);
        assertThat(header).startsWith("module", "channels", "max", "median", "ratio", "effective_bits", "channels_over_6x_median",
                "top1_channel", "top1_value");
        assertThat(lines).hasSize(stats.entries().size() + 1);
        JsonNode json = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(report.toJson()));
        assertThat(json.size()).isEqualTo(stats.entries().size());
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.length; i++) row.put(header[i], f[i]);
            float[] act = stats.channelMax(row.get("module"));
            float[] sorted = act.clone();
            Arrays.sort(sorted);
            float max = sorted[sorted.length - 1], median = sorted[(sorted.length - 1) / 2];
            assertThat(Integer.parseInt(row.get("channels"))).isEqualTo(act.length);
            assertThat((float) Double.parseDouble(row.get("max"))).isEqualTo(max);
            assertThat((float) Double.parseDouble(row.get("median"))).isEqualTo(median);
            assertThat(Double.parseDouble(row.get("ratio"))).isEqualTo((double) max / median);
            assertThat(Double.parseDouble(row.get("effective_bits"))).isCloseTo(Math.log(1 + 254.0 * median / max) / Math.log(2), within(1e-12));
            float previous = Float.POSITIVE_INFINITY;
            for (int k = 1; k <= Math.min(8, act.length); k++) {
                int c = Integer.parseInt(row.get("top" + k + "_channel"));
                float v = (float) Double.parseDouble(row.get("top" + k + "_value"));
                assertThat(v).as("top %d of %s", k, row.get("module")).isEqualTo(act[c]).isLessThanOrEqualTo(previous);
                previous = v;
            }
            assertThat(Integer.parseInt(row.get("top1_channel"))).isEqualTo(argmax(act));

            JsonNode j = json.get(row.get("module"));
            assertThat(j).as(row.get("module")).isNotNull();
            assertThat((float) j.get("max").asDouble()).isEqualTo(max);
            assertThat((float) j.get("median").asDouble()).isEqualTo(median);
            assertThat(j.get("ratio").asDouble()).isEqualTo((double) max / median);
            assertThat(j.get("effective_bits").asDouble()).isEqualTo(Double.parseDouble(row.get("effective_bits")));
            assertThat(j.get("top_channels")).hasSize(Math.min(8, act.length));
            for (JsonNode t : j.get("top_channels"))
                assertThat((float) t.get("value").asDouble()).isEqualTo(act[t.get("channel").asInt()]);
        }
        assertThat(json.has("model.layers.2.self_attn.q_proj")).isTrue();
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
