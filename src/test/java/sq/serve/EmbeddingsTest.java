package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sq.bert.BertEncoder;
import sq.bert.BertModels;
import sq.bert.OnnxBert;
import sq.engine.EngineConfig;
import sq.io.Json;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /v1/embeddings on all-MiniLM-L6-v2 in int8 (langchain4j's jar on the test class path), through the official
 * OpenAI Java SDK, langchain4j's OpenAiEmbeddingModel and plain HTTP; every vector equals, bit for bit, the one a
 * separately built in-process int8 encoder gives for the tokenizer's ids.
 */
class EmbeddingsTest {
    static final List<String> TEXTS = List.of("The cat sat on the mat.", "Quantization keeps the int8 products exact.");
    static TestServer s;
    static ServedEncoder served;
    static BertEncoder reference;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        served = ServedEncoder.load("minilm");
        BertModels.ModelFiles f = BertModels.known(BertModels.Known.MINILM);
        reference = new BertEncoder(ServedEncoder.int8(OnnxBert.load(f.onnx())), f.pooling());
        s = new TestServer(new EngineConfig(4, 64, 64, 8, 512), null, served);
        client = OpenAIOkHttpClient.builder().baseUrl(s.baseUrl()).apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        s.close();
    }

    static float[] expected(String text) {
        return reference.embed(served.tokenizer().encodeForModel(text));
    }

    @Test
    void openAiSdkFloatAndBase64() {
        for (var format : List.of(EmbeddingCreateParams.EncodingFormat.FLOAT, EmbeddingCreateParams.EncodingFormat.BASE64)) {
            CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("minilm")
                    .inputOfArrayOfStrings(TEXTS).encodingFormat(format).build());
            assertThat(r.data()).hasSize(2);
            long tokens = 0;
            for (int i = 0; i < 2; i++) {
                List<Float> v = r.data().get(i).embedding();
                float[] want = expected(TEXTS.get(i));
                assertThat(v).hasSize(384);
                for (int j = 0; j < want.length; j++) assertThat(v.get(j)).as(format + " %d %d", i, j).isEqualTo(want[j]);
                assertThat(r.data().get(i).index()).isEqualTo(i);
                tokens += served.encode(TEXTS.get(i)).length;
            }
            assertThat(r.usage().promptTokens()).isEqualTo(tokens);
            assertThat(r.model()).isEqualTo("minilm");
        }
    }

    @Test
    void langchain4jOpenAiEmbeddingModel() {
        OpenAiEmbeddingModel m = OpenAiEmbeddingModel.builder().baseUrl(s.baseUrl()).apiKey("unused").modelName("minilm").maxRetries(0).build();
        List<Embedding> e = m.embedAll(TEXTS.stream().map(TextSegment::from).toList()).content();
        assertThat(e).hasSize(2);
        for (int i = 0; i < 2; i++) assertThat(e.get(i).vector()).isEqualTo(expected(TEXTS.get(i)));
    }

    static HttpResponse<String> post(String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.server.url() + "/v1/embeddings"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokenIdsAndBase64OverPlainHttp() throws Exception {
        int[] ids = served.encode(TEXTS.get(0));
        String list = java.util.Arrays.toString(ids);
        JsonNode r = Json.MAPPER.readTree(post("{\"model\": \"minilm\", \"input\": [" + list + ", " + list + "], \"encoding_format\": \"base64\"}").body());
        for (int i = 0; i < 2; i++) {
            ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(r.at("/data/" + i + "/embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
            float[] got = new float[b.remaining() / 4];
            b.asFloatBuffer().get(got);
            assertThat(got).isEqualTo(reference.embed(ids));
        }
        assertThat(r.at("/usage/total_tokens").asInt()).isEqualTo(2 * ids.length);
        JsonNode one = Json.MAPPER.readTree(post("{\"model\": \"minilm\", \"input\": " + list + "}").body());
        assertThat(one.at("/data").size()).isEqualTo(1);
        assertThat(one.at("/data/0/embedding/0").floatValue()).isEqualTo(reference.embed(ids)[0]);
    }

    @Test
    void badInputGetsTheRightError() throws Exception {
        FaultTest.error(post("{\"model\": \"minilm\"}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": []}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": \"\"}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": 5}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": [\"a\", 5]}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": [101, 999999]}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": [" + "101, ".repeat(600) + "102]}"), 400, "input");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": \"a\", \"encoding_format\": \"int8\"}"), 400, "encoding_format");
        FaultTest.error(post("{\"model\": \"minilm\", \"input\": \"a\", \"dimensions\": 128}"), 400, "dimensions");
        FaultTest.error(post("{\"model\": \"other\", \"input\": \"a\"}"), 404, "model");
        FaultTest.error(post("{\"model\": \"" + TestServer.MODEL + "\", \"input\": \"a\"}"), 404, "model");
        FaultTest.error(post("{bad"), 400, null);
        // a text longer than the model's 128 word-pieces is truncated, as sentence-transformers does
        JsonNode r = Json.MAPPER.readTree(post("{\"model\": \"minilm\", \"input\": \"" + "word ".repeat(300) + "\"}").body());
        assertThat(r.at("/usage/prompt_tokens").asInt()).isEqualTo(128);
    }
}
