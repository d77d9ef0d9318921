package sq.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sq.cli.Main;
import sq.io.Json;
import sq.quant.ActivationStats;
import sq.testing.ConsoleCapture;
import sq.testing.Fixtures;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** ./sq inspect end to end on the bundled stories260K: the files, the PNG sizes, the page, determinism, errors. */
class InspectCommandTest extends ConsoleCapture {
    private static final Pattern IMG = Pattern.compile("<img src=\"([^\"]+)\" width=\"(\\d+)\" height=\"(\\d+)\"");


    @TempDir
    Path tmp;

    /** A quick inspect of stories260K: 4 calibration windows, layers 0 and 4, a 3-point O2 sweep on 2 windows. */
    private int inspect(Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("inspect", "--model", Fixtures.bundled("stories260K").toString(),
                "--calib", Fixtures.bundled("text/tinystories-val.txt").toString(), "--calib-skip", "100", "--calib-windows", "4",
                "--sweep-schemes", "O2", "--sweep-alphas", "0:1:0.5", "--windows", "2", "--out", dir.toString(), "--quiet"));
        args.addAll(List.of(extra));
        if (!args.contains("--layers")) args.addAll(List.of("--layers", "0,4"));
        return Main.execute(args.toArray(String[]::new));
    }

    @Test
    void writesEveryFigureThePageAndTheReportsDeterministically() throws Exception {
        Path dir = tmp.resolve("out");
        assertThat(inspect(dir)).as(stderr()).isZero();

        List<String> expected = new ArrayList<>(List.of("index.html", "outliers.csv", "outliers.json", "sweep.csv", "sweep.json", "alpha_sweep.png"));
        for (String layer : List.of("L00_", "L04_")) {
            expected.add(layer + "channels.png");
            for (String group : List.of("q_proj_", "gate_proj_"))
                for (String kind : List.of("x_before", "x_after", "w_before", "w_after")) expected.add(layer + group + kind + ".png");
        }
        assertThat(list(dir)).containsExactlyInAnyOrderElementsOf(expected);

        // the page references every image with its real size, and nothing from the network
        String html = Files.readString(dir.resolve("index.html"));
        Map<String, int[]> referenced = new TreeMap<>();
        Matcher m = IMG.matcher(html);
        while (m.find()) referenced.put(m.group(1), new int[]{Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
        TreeSet<String> pngs = new TreeSet<>(expected.stream().filter(f -> f.endsWith(".png")).toList());
        assertThat(referenced.keySet()).isEqualTo(pngs);
        for (String png : pngs) {
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(new int[]{img.getWidth(), img.getHeight()}).as(png).containsExactly(referenced.get(png));
            int[] stated = png.equals("alpha_sweep.png") ? new int[]{Sweep.WIDTH, Sweep.HEIGHT}
                    : png.endsWith("channels.png") ? new int[]{ChannelPlot.WIDTH, 4 * ChannelPlot.PANEL_HEIGHT} // q, o, gate, down inputs
                    : new int[]{Inspector.HEAT_W, Inspector.HEAT_H};
            assertThat(new int[]{img.getWidth(), img.getHeight()}).as(png).containsExactly(stated);
        }
        assertThat(html).doesNotContainIgnoringCase("<script").doesNotContain("src=\"http");
        assertThat(html).contains("href=\"outliers.csv\"", "href=\"outliers.json\"", "href=\"sweep.csv\"", "Effective bits",
                "log<sub>2</sub>(1 + 254", "2 windows of 256 tokens");

        // the report covers every linear, keyed by module name
        JsonNode outliers = Json.read(dir.resolve("outliers.json"));
        assertThat(outliers.size()).isEqualTo(5 * 7);
        JsonNode q2 = outliers.get("model.layers.2.self_attn.q_proj");
        assertThat(q2.get("top_channels")).hasSize(8);
        for (String key : List.of("max", "median", "ratio", "effective_bits")) assertThat(q2.get(key).isNumber()).as(key).isTrue();

        // the sweep: fp32, naive O2 and alphas 0, 0.5, 1
        JsonNode sweep = Json.read(dir.resolve("sweep.json"));
        assertThat(sweep.get("fp32").asDouble()).isBetween(2.0, 8.0);
        assertThat(sweep.get("schemes").get("O2").get("alphas").fieldNames()).toIterable().containsExactly("0.0", "0.5", "1.0");
        assertThat(sweep.get("schemes").get("O2").get("naive").asDouble()).isPositive();

        // deterministic: a second run writes the same bytes
        Path again = tmp.resolve("again");
        assertThat(inspect(again)).as(stderr()).isZero();
        for (String f : expected)
            assertThat(Files.readAllBytes(again.resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve(f)));
    }

    @Test
    void refusesANonEmptyFolderUnlessForced() throws Exception {
        Path dir = tmp.resolve("busy");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("keep.txt"), "mine");
        assertThat(inspect(dir, "--no-sweep")).isEqualTo(2);
        assertThat(stderr()).contains("not empty", "--force");
        assertThat(Files.readString(dir.resolve("keep.txt"))).isEqualTo("mine");

        assertThat(inspect(dir, "--no-sweep", "--force", "--layers", "2")).as(stderr()).isZero();
        assertThat(list(dir)).contains("index.html", "L02_channels.png").doesNotContain("keep.txt", "sweep.csv", "alpha_sweep.png");
        assertThat(Files.readString(dir.resolve("index.html"))).contains("skipped (--no-sweep)");
        // nothing is left behind beside it (the atomic writer's temporary folder)
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("busy");
        }
    }

    @Test
    void plotsTheSweepOfAnEvalJsonAndReadsSavedActScales() throws Exception {
        Path json = tmp.resolve("eval.json");
        Files.writeString(json, """
                [{"method": "fp32", "alpha": null, "scheme": null, "ppl": 4.08},
                 {"method": "naive", "alpha": null, "scheme": "O3", "ppl": 4.17},
                 {"method": "smoothquant", "alpha": 0.5, "scheme": "O3", "ppl": 4.12},
                 {"method": "smoothquant", "alpha": 0.85, "scheme": "O3", "ppl": 4.11},
                 {"method": "smoothquant", "alpha": "auto", "scheme": "O3", "ppl": 4.10},
                 {"method": "llm.int8", "alpha": null, "scheme": "llm.int8", "ppl": 4.09}]
                """);
        Path dir = tmp.resolve("from-eval");
        Path scales = Fixtures.bundled("stories260K/golden/act_scales.safetensors");
        assertThat(inspect(dir, "--sweep-from", json.toString(), "--act-scales", scales.toString(), "--layers", "1")).as(stderr()).isZero();
        assertThat(Files.readString(dir.resolve("sweep.csv"))).isEqualTo("""
                scheme,method,alpha,ppl
                ,fp32,,4.08
                O3,naive,,4.17
                O3,smoothquant,0.5,4.12
                O3,smoothquant,0.85,4.11
                O3,smoothquant,auto,4.1
                """);
        assertThat(list(dir)).contains("alpha_sweep.png", "L01_channels.png");
        // with --act-scales the report is the fixtures' act scales
        ActivationStats stats = ActivationStats.load(scales);
        JsonNode q = Json.read(dir.resolve("outliers.json")).get("model.layers.1.self_attn.q_proj");
        float max = 0;
        for (float v : stats.channelMax("model.layers.1.self_attn.q_proj")) max = Math.max(max, v);
        assertThat((float) q.get("max").asDouble()).isEqualTo(max);
    }

    /** Every architecture's smoothing groups draw: OPT (LayerNorm, fc1), Qwen2 (biases), Qwen3 (q/k norms). */
    @ParameterizedTest
    @ValueSource(strings = {"opt", "qwen2", "qwen3"})
    void drawsEveryArchitecture(String arch) throws Exception {
        Path dir = tmp.resolve(arch);
        int rc = Main.execute("inspect", "--model", Fixtures.bundled("tiny/" + arch).toString(), "--calib",
                Fixtures.bundled("text/calib.txt").toString(), "--calib-windows", "1", "--layers", "all", "--no-sweep",
                "--out", dir.toString(), "--quiet");
        assertThat(rc).as(stderr()).isZero();
        String first = arch.equals("opt") ? "fc1" : "gate_proj";
        assertThat(list(dir)).contains("L00_q_proj_x_before.png", "L01_" + first + "_w_after.png", "L01_channels.png", "outliers.json");
        assertThat(Json.read(dir.resolve("outliers.json")).size()).isEqualTo(2 * (arch.equals("opt") ? 6 : 7));
    }

    @Test
    void badOptionsGiveOneLineAndExitCode2() throws Exception {
        assertThat(inspect(tmp.resolve("a"), "--layers", "9", "--no-sweep")).isEqualTo(2);
        assertThat(stderr()).contains("--layers: layer 9 is outside 0..4");
        assertThat(inspect(tmp.resolve("b"), "--alpha", "0.5,0.8", "--no-sweep")).isEqualTo(2);
        assertThat(inspect(tmp.resolve("c"), "--sample-window", "4", "--no-sweep")).isEqualTo(2);
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"not\": \"rows\"}");
        assertThat(inspect(tmp.resolve("d"), "--sweep-from", bad.toString())).isEqualTo(2);
        assertThat(stderr()).contains("bad.json").doesNotContain("Exception");
        assertThat(Files.exists(tmp.resolve("a"))).isFalse();
    }

    private static List<String> list(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
