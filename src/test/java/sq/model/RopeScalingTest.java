package sq.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import sq.io.InputException;
import sq.io.Json;
import sq.testing.Fixtures;

/**
 * Each rope type against its formula written out in double here (the YaRN paper / transformers docs / Llama 3.1's
 * published rule), at ~1e-6 relative; the zoo configs parse; bad fields are refused by name.
 */
class RopeScalingTest {
    private static final Path FILE = Path.of("config.json");
    private static final double REL = 1e-6;

    private static JsonNode json(String s) {
        try {
            return Json.MAPPER.readTree(s.replace('\'', '"'));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RopeScaling parse(String params, int dim, int maxPositions) {
        return RopeScaling.parse(json(params), null, FILE, dim, maxPositions);
    }

    /** theta^(-2i/d) in double. */
    private static double plain(double theta, int i, int dim) {
        return Math.pow(theta, -2.0 * i / dim);
    }

    private static void close(float actual, double expected, String what) {
        assertThat((double) actual).as(what).isCloseTo(expected, org.assertj.core.data.Offset.offset(REL * Math.abs(expected)));
    }

    @Test
    void defaultIsThetaToTheMinusTwoIOverD() {
        RopeScaling r = parse("{'rope_type':'default','rope_theta':500000.0}", 128, 8192);
        float[] inv = r.invFreq(10);
        assertThat(inv).hasSize(64);
        for (int i = 0; i < 64; i++) close(inv[i], plain(500000, i, 128), "inv[" + i + "]");
        assertThat(r.attentionFactor(10)).isEqualTo(1f);
        assertThat(r.dependsOnLength()).isFalse();
        assertThat(r.type()).isEqualTo("default");
        assertThat(inv[0]).isEqualTo(1f);

        // no object: theta from the config, else 10000
        RopeScaling none = RopeScaling.parse(null, json("{'rope_theta':20000}"), FILE, 16, 256);
        assertThat(none.theta()).isEqualTo(20000.0);
        assertThat(RopeScaling.parse(null, null, FILE, 16, 256).theta()).isEqualTo(10000.0);
        close(none.invFreq(1)[3], plain(20000, 3, 16), "default from config theta");
        // the result is a copy: the caller cannot change later tables
        none.invFreq(1)[0] = 5;
        assertThat(none.invFreq(1)[0]).isEqualTo(1f);
    }

    @Test
    void linearDividesByFactor() {
        RopeScaling r = parse("{'rope_type':'linear','factor':2.0,'rope_theta':10000.0}", 16, 256);
        for (int i : new int[] {0, 3, 7}) close(r.invFreq(64)[i], plain(10000, i, 16) / 2, "linear " + i);
        // legacy rope_scaling with "type" and the theta at the top of the config
        JsonNode config = json("{'rope_theta':30000.0,'rope_scaling':{'type':'linear','factor':4}}");
        RopeScaling legacy = RopeScaling.parse(config.get("rope_scaling"), config, FILE, 16, 256);
        assertThat(legacy.type()).isEqualTo("linear");
        close(legacy.invFreq(1)[5], plain(30000, 5, 16) / 4, "legacy linear");
    }

    @Test
    void dynamicNtkRescalesTheBaseBeyondMaxPositions() {
        RopeScaling r = parse("{'rope_type':'dynamic','factor':2.0,'rope_theta':10000.0}", 16, 256);
        assertThat(r.dependsOnLength()).isTrue();
        for (int i = 0; i < 8; i++) close(r.invFreq(256)[i], plain(10000, i, 16), "within max " + i);
        for (int len : new int[] {300, 1000}) {
            // NTK-aware: base' = base * (factor * L / max - (factor - 1)) ^ (d / (d - 2))
            double base = 10000 * Math.pow(2.0 * len / 256 - 1, 16.0 / 14);
            float[] inv = r.invFreq(len);
            for (int i : new int[] {1, 4, 7}) close(inv[i], plain(base, i, 16), "L=" + len + " i=" + i);
            assertThat(inv[0]).isEqualTo(1f);
        }
        assertThat(r.attentionFactor(1000)).isEqualTo(1f);
    }

    /** YaRN with transformers' defaults beta_fast 32, beta_slow 1, truncated correction range; llama-yarn's numbers. */
    @Test
    void yarnBlendsInterpolationAndExtrapolation() {
        double theta = 1e6, s = 4;
        int dim = 16, original = 4096;
        RopeScaling r = parse("{'rope_type':'yarn','factor':4.0,'original_max_position_embeddings':4096,'rope_theta':1000000.0}",
                dim, 16384);
        double[] expected = yarn(theta, s, dim, original, 32, 1, true);
        float[] inv = r.invFreq(64);
        for (int i = 0; i < dim / 2; i++) close(inv[i], expected[i], "yarn " + i);
        // the blend covers both ends: the fastest pair is untouched, the slowest divided by s
        close(inv[0], 1, "extrapolated");
        close(inv[7], plain(theta, 7, dim) / s, "interpolated");
        assertThat((double) r.attentionFactor(64)).isCloseTo(0.1 * Math.log(s) + 1, org.assertj.core.data.Offset.offset(1e-7));

        // mscale form (DeepSeek): (0.1 mscale ln s + 1) / (0.1 mscale_all_dim ln s + 1); untruncated range; betas given
        RopeScaling m = parse("{'rope_type':'yarn','factor':40,'original_max_position_embeddings':64,'rope_theta':10000,"
                + "'mscale':1.0,'mscale_all_dim':0.5,'beta_fast':16,'beta_slow':2,'truncate':false}", dim, 2560);
        double[] e2 = yarn(10000, 40, dim, 64, 16, 2, false);
        for (int i = 0; i < dim / 2; i++) close(m.invFreq(1)[i], e2[i], "yarn mscale " + i);
        assertThat((double) m.attentionFactor(1)).isCloseTo((0.1 * Math.log(40) + 1) / (0.05 * Math.log(40) + 1),
                org.assertj.core.data.Offset.offset(1e-7));
        // an explicit attention_factor wins; a null factor is max_position_embeddings / original
        RopeScaling a = parse("{'rope_type':'yarn','factor':null,'attention_factor':1.25,'original_max_position_embeddings':64}",
                dim, 256);
        assertThat(a.attentionFactor(1)).isEqualTo(1.25f);
        double[] e3 = yarn(10000, 4, dim, 64, 32, 1, true);
        for (int i = 0; i < dim / 2; i++) close(a.invFreq(1)[i], e3[i], "yarn implicit factor " + i);
    }

    /** The YaRN paper's ramp: r(d) = clamp((d - low) / (high - low), 0, 1) over pairs, low/high from the rotation counts. */
    private static double[] yarn(double theta, double s, int dim, int original, double betaFast, double betaSlow,
                                 boolean truncate) {
        double low = dim * Math.log(original / (betaFast * 2 * Math.PI)) / (2 * Math.log(theta));
        double high = dim * Math.log(original / (betaSlow * 2 * Math.PI)) / (2 * Math.log(theta));
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        double[] out = new double[dim / 2];
        for (int i = 0; i < out.length; i++) {
            double ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
            double keep = 1 - ramp; // share of the extrapolated (unscaled) frequency
            out[i] = plain(theta, i, dim) * (keep + (1 - keep) / s);
        }
        return out;
    }

    @Test
    void longropeSwitchesFactorsAtTheOriginalLength() {
        double[] shortF = {1.0, 1.05, 1.1, 1.2, 1.4, 1.8, 2.5, 3.0}, longF = {1.0, 1.2, 1.6, 2.4, 4.0, 6.0, 9.0, 12.0};
        // phi3-longrope's config: original 32 at the top and in the object, max 128
        JsonNode config = json("{'original_max_position_embeddings':32,'max_position_embeddings':128}");
        JsonNode params = json("{'long_factor':[1.0,1.2,1.6,2.4,4.0,6.0,9.0,12.0],'original_max_position_embeddings':32,"
                + "'partial_rotary_factor':1.0,'rope_theta':10000.0,'rope_type':'longrope',"
                + "'short_factor':[1.0,1.05,1.1,1.2,1.4,1.8,2.5,3.0]}");
        RopeScaling r = RopeScaling.parse(params, config, FILE, 16, 128);
        assertThat(r.dependsOnLength()).isTrue();
        for (int i = 0; i < 8; i++) {
            close(r.invFreq(64)[i], plain(10000, i, 16) / longF[i], "long " + i);
            close(r.invFreq(33)[i], plain(10000, i, 16) / longF[i], "long at 33 " + i);
            close(r.invFreq(32)[i], plain(10000, i, 16) / shortF[i], "short at 32 " + i);
            close(r.invFreq(1)[i], plain(10000, i, 16) / shortF[i], "short " + i);
        }
        double expected = Math.sqrt(1 + Math.log(128.0 / 32) / Math.log(32));
        assertThat((double) r.attentionFactor(64)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-7));
        assertThat(r.attentionFactor(8)).isEqualTo(r.attentionFactor(64));

        // the config's top-level original wins over the object's (transformers' standardize_rope_params)
        RopeScaling top = RopeScaling.parse(json("{'rope_type':'longrope','short_factor':[1,1],'long_factor':[2,2],"
                + "'original_max_position_embeddings':100}"), json("{'original_max_position_embeddings':10}"), FILE, 4, 40);
        close(top.invFreq(11)[1], plain(10000, 1, 4) / 2, "top-level original");
        assertThat((double) top.attentionFactor(1)).isCloseTo(Math.sqrt(1 + Math.log(4) / Math.log(10)),
                org.assertj.core.data.Offset.offset(1e-7));
        // explicit factor and attention_factor
        RopeScaling ex = parse("{'rope_type':'longrope','short_factor':[1,1],'long_factor':[2,2],"
                + "'original_max_position_embeddings':10,'factor':1.0}", 4, 40);
        assertThat(ex.attentionFactor(1)).isEqualTo(1f);
        assertThat(parse("{'rope_type':'longrope','short_factor':[1,1],'long_factor':[2,2],"
                + "'original_max_position_embeddings':10,'attention_factor':1.5}", 4, 40).attentionFactor(1)).isEqualTo(1.5f);
    }

    /** Llama 3.1: wavelength above original/low divided by factor, below original/high kept, linear in 1/wavelength between. */
    @Test
    void llama3RescalesByWavelengthBand() {
        double theta = 500000, factor = 32, low = 1, high = 4;
        int dim = 16, original = 8192;
        RopeScaling r = parse("{'factor':32.0,'high_freq_factor':4.0,'low_freq_factor':1.0,"
                + "'original_max_position_embeddings':8192,'rope_theta':500000.0,'rope_type':'llama3'}", dim, 131072);
        float[] inv = r.invFreq(64);
        int[] bands = new int[3];
        for (int i = 0; i < dim / 2; i++) {
            double f = plain(theta, i, dim), wavelen = 2 * Math.PI / f, expected;
            if (wavelen < original / high) {
                expected = f;
                bands[0]++;
            } else if (wavelen > original / low) {
                expected = f / factor;
                bands[2]++;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                expected = (1 - smooth) * f / factor + smooth * f;
                bands[1]++;
            }
            close(inv[i], expected, "llama3 " + i);
        }
        assertThat(bands).as("pairs in the high, medium and low bands").containsExactly(4, 1, 3);
        assertThat(r.attentionFactor(64)).isEqualTo(1f);
    }

    /** Every zoo config's rope object parses, with the rotary dim the config implies. */
    @Test
    void everyZooConfigParses() throws IOException {
        Path zoo = Fixtures.shared("zoo");
        List<String> parsed = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(zoo)) {
            for (Path dir : dirs.sorted().toList()) {
                Path file = dir.resolve("config.json");
                if (!Files.isRegularFile(file)) continue;
                JsonNode config = Json.read(file);
                JsonNode rope = config.has("rope_parameters") ? config.get("rope_parameters") : config.get("rope_scaling");
                if (rope == null && !config.has("rope_theta")) continue; // no rotary embedding (gpt2, bloom, opt)
                int heads = config.get("num_attention_heads").asInt();
                int headDim = config.path("head_dim").isInt() ? config.get("head_dim").asInt()
                        : config.get("hidden_size").asInt() / heads;
                int maxPositions = config.get("max_position_embeddings").asInt();
                // gemma3 nests one object per layer type
                Map<String, JsonNode> objects = new java.util.TreeMap<>();
                if (rope != null && !rope.has("rope_type") && !rope.has("type")) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = rope.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        objects.put(e.getKey(), e.getValue());
                    }
                } else objects.put("", rope);
                for (Map.Entry<String, JsonNode> e : objects.entrySet()) {
                    JsonNode params = e.getValue();
                    double partial = config.has("partial_rotary_factor") ? config.get("partial_rotary_factor").asDouble()
                            : params != null && params.has("partial_rotary_factor") ? params.get("partial_rotary_factor").asDouble() : 1.0;
                    int dim = (int) (headDim * partial);
                    RopeScaling r = RopeScaling.parse(params, config, file, dim, maxPositions);
                    String type = params == null ? "default" : params.path("rope_type").asText("default");
                    assertThat(r.type()).as(dir.getFileName().toString()).isEqualTo(type);
                    float[] inv = r.invFreq(64);
                    assertThat(inv).hasSize(dim / 2);
                    for (float v : inv) assertThat(v).isPositive().isLessThanOrEqualTo(1f);
                    assertThat(r.attentionFactor(64)).isPositive();
                    parsed.add(dir.getFileName() + (e.getKey().isEmpty() ? "" : "/" + e.getKey()) + ":" + type);
                }
            }
        }
        System.out.println("RopeScalingTest: parsed " + parsed);
        assertThat(parsed).contains("llama3:llama3", "llama-yarn:yarn", "llama-linear:linear",
                "phi3-longrope:longrope", "phi4-mini:default", "gpt-oss:yarn", "gemma3/sliding_attention:default");

        // phi3-longrope: the 64-token goldens are past original 32, so the long factors apply
        JsonNode config = Json.read(zoo.resolve("phi3-longrope/config.json"));
        RopeScaling r = RopeScaling.parse(config.get("rope_parameters"), config, FILE, 16, 128);
        JsonNode longF = config.get("rope_parameters").get("long_factor");
        for (int i = 0; i < 8; i++) close(r.invFreq(64)[i], plain(10000, i, 16) / longF.get(i).asDouble(), "zoo long " + i);
        // phi4-mini: 12 of 16 dims rotate
        JsonNode phi4 = Json.read(zoo.resolve("phi4-mini/config.json"));
        assertThatThrownBy(() -> RopeScaling.parse(phi4.get("rope_parameters"), phi4, FILE, 16, 256))
                .isInstanceOf(InputException.class).hasMessageContaining("partial_rotary_factor");
        close(RopeScaling.parse(phi4.get("rope_parameters"), phi4, FILE, 12, 256).invFreq(1)[5], plain(10000, 5, 12), "phi4");
    }

    @Test
    void badInputIsRefusedByName() {
        bad("{'rope_type':'foo','factor':2}", "rope type 'foo' is not supported; supported: default, linear, dynamic, yarn, longrope, llama3");
        bad("{'rope_type':'linear'}", "'factor' is required");
        bad("{'rope_type':'linear','factor':null}", "'factor' is required");
        bad("{'rope_type':'yarn','original_max_position_embeddings':64}", "'factor' is required");
        bad("{'rope_type':'linear','factor':'2.0'}", "'factor' must be a number");
        bad("{'rope_type':'dynamic','factor':true}", "'factor' must be a number");
        bad("{'rope_type':'linear','factor':0}", "'factor' must be positive");
        bad("{'rope_type':'linear','factor':2,'rope_theta':'1e4'}", "'rope_theta' must be a number");
        bad("{'rope_type':'longrope','short_factor':[1,1,1,1,1,1,1,1],'long_factor':[1,2,3]}",
                "'long_factor' must have 8 entries (rotary dim / 2), got 3");
        bad("{'rope_type':'longrope','short_factor':[1,1,1,1,1,1,1,'x'],'long_factor':[1,1,1,1,1,1,1,1]}", "'short_factor'[7]");
        bad("{'rope_type':'longrope','short_factor':[1,1,1,1,1,1,1,1]}", "'long_factor' is required");
        bad("{'rope_type':'llama3','factor':8,'low_freq_factor':1,'original_max_position_embeddings':64}", "'high_freq_factor'");
        bad("{'rope_type':'llama3','factor':8,'low_freq_factor':4,'high_freq_factor':4}", "high_freq_factor (4.0) must be greater");
        bad("{'rope_type':'yarn','factor':4,'truncate':'no'}", "'truncate' must be true or false");
        bad("{'rope_type':'yarn','factor':4,'original_max_position_embeddings':64.5}", "original_max_position_embeddings' must be a positive integer");
        // keys that would change the math and are not read
        bad("{'rope_type':'linear','factor':2,'mscale':1}", "key 'mscale' is not read for rope type 'linear'");
        bad("{'rope_type':'default','mrope_section':[2,3,3]}", "key 'mrope_section'");
        bad("{'full_attention':{'rope_type':'default'}}", "key 'full_attention'");
        bad("{'rope_type':3}", "'rope_type' must be a string");
        bad("[1]", "must be an object");
        assertThatThrownBy(() -> parse("{'rope_type':'default'}", 15, 256)).isInstanceOf(InputException.class)
                .hasMessageContaining("must be positive and even, got 15");
        // every message names the file
        assertThatThrownBy(() -> parse("{'rope_type':'linear'}", 16, 256)).hasMessageStartingWith("config.json: rope_parameters: ");
        JsonNode legacy = json("{'rope_scaling':{'type':'linear'}}");
        assertThatThrownBy(() -> RopeScaling.parse(legacy.get("rope_scaling"), legacy, FILE, 16, 256))
                .hasMessageStartingWith("config.json: rope_scaling: ");
    }

    private static void bad(String params, String fragment) {
        assertThatThrownBy(() -> parse(params, 16, 256)).as(params).isInstanceOf(InputException.class)
                .hasMessageContaining(fragment);
    }
}
