package sq.fuzz;

import sq.io.DType;
import sq.io.SafetensorsWriter;
import sq.quant.ActivationStats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the committed seed corpora of the fuzz targets: small valid files of every format (each under 4 KB, so
 * libFuzzer's default input size stays 4 KB) plus a few near-misses. Jazzer reads them from
 * src/test/resources/sq/fuzz/TARGETInputs/fuzz/, in regression mode and as the starting corpus when fuzzing.
 *
 * <p>Regenerate with (from the project root, after test-compile):
 * {@code java -cp target/test-classes:target/classes:$(cat cp.txt) sq.fuzz.SeedCorpus src/test/resources}
 * where cp.txt comes from {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}.
 */
public final class SeedCorpus {
    private SeedCorpus() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources").resolve("sq/fuzz");
        safetensors(dir(root, "SafetensorsFuzzTest"));
        index(dir(root, "SafetensorsIndexFuzzTest"));
        configs(dir(root, "ConfigJsonFuzzTest"));
        tokenizers(dir(root, "TokenizerJsonFuzzTest"));
        llama2cModels(dir(root, "Llama2cModelFuzzTest"));
        llama2cTokenizers(dir(root, "Llama2cTokenizerFuzzTest"));
        onnx(dir(root, "OnnxFuzzTest"));
    }

    private static Path dir(Path root, String target) throws IOException {
        return Files.createDirectories(root.resolve(target + "Inputs").resolve("fuzz"));
    }

    // ---- safetensors ----

    /** The shards of the index target: a.weight, b.weight in shard 0; c.bias in shard 1. */
    static SafetensorsWriter shard(int i) {
        return i == 0 ? new SafetensorsWriter().metadata("format", "pt").add("a.weight", new float[]{1, 2, 3, 4}, 2, 2)
                .add("b.weight", DType.BF16, new float[]{0.5f, -1}, 2)
                : new SafetensorsWriter().add("c.bias", DType.F16, new float[]{1, 2, 3}, 3);
    }

    private static void safetensors(Path d) throws IOException {
        new SafetensorsWriter().metadata("format", "pt")
                .add("w", new float[]{1, -2, 3.5f, 0, 1e-3f, 7}, 2, 3)
                .add("h", DType.F16, new float[]{1.5f, -2, 0.25f, 65504}, 4)
                .add("b", DType.BF16, new float[]{3, -0.5f}, 2)
                .add("q", new byte[]{1, -2, 127, -128}, 2, 2)
                .add("ids", new long[]{0, 5, -1}, 3)
                .add("u", DType.U8, new long[]{2}, new byte[]{(byte) 200, 3})
                .add("i", DType.I32, new long[]{1}, new byte[]{1, 0, 0, 0})
                .add("empty", new float[0], 0, 4)
                .write(d.resolve("all-dtypes.safetensors"));
        Map<String, ActivationStats.Entry> m = new LinkedHashMap<>();
        m.put("model.layers.0.self_attn.q_proj", new ActivationStats.Entry(new float[]{0.5f, 2, 1}, 2, 4));
        m.put("model.layers.0.mlp.down_proj", new ActivationStats.Entry(new float[]{7, 1}, 7, Float.NaN));
        new ActivationStats(m).save(d.resolve("act-stats.safetensors"));
        write(d.resolve("empty-header.safetensors"), header("{}", 0));
        write(d.resolve("scalar.safetensors"), header("{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4));
        write(d.resolve("overlap.safetensors"), header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8));
    }

    static byte[] header(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    // ---- model.safetensors.index.json ----

    private static void index(Path d) throws IOException {
        Files.writeString(d.resolve("two-shards.json"), """
                {"metadata": {"total_size": 20}, "weight_map": {
                  "a.weight": "model-00001-of-00002.safetensors",
                  "b.weight": "model-00001-of-00002.safetensors",
                  "c.bias": "model-00002-of-00002.safetensors"}}
                """);
        Files.writeString(d.resolve("escape.json"), """
                {"weight_map": {"a.weight": "../model-00001-of-00002.safetensors", "c.bias": "sub"}}
                """);
    }

    // ---- config.json ----

    private static void configs(Path d) throws IOException {
        Files.writeString(d.resolve("llama.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "head_dim": 16, "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 4096,
                 "max_position_embeddings": 512, "rms_norm_eps": 1e-06, "hidden_act": "silu", "tie_word_embeddings": false,
                 "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "bos_token_id": 0, "eos_token_id": [0, 2]}
                """);
        Files.writeString(d.resolve("qwen2.json"), """
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "num_hidden_layers": 1, "intermediate_size": 16, "vocab_size": 8, "max_position_embeddings": 32,
                 "use_sliding_window": false, "sliding_window": null, "rope_theta": 1000000.0, "rope_scaling": null,
                 "tie_word_embeddings": true}
                """);
        Files.writeString(d.resolve("qwen3.json"), """
                {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 4, "num_attention_heads": 2, "head_dim": 2,
                 "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 8, "rope_scaling": {"rope_type": "default"}}
                """);
        Files.writeString(d.resolve("opt.json"), """
                {"architectures": ["OPTForCausalLM"], "hidden_size": 4, "num_attention_heads": 2, "num_hidden_layers": 1,
                 "ffn_dim": 8, "vocab_size": 8, "max_position_embeddings": 16, "word_embed_proj_dim": 4,
                 "do_layer_norm_before": true, "activation_function": "relu", "layer_norm_elementwise_affine": true}
                """);
        Files.writeString(d.resolve("compressed-tensors.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 4, "num_attention_heads": 1, "num_hidden_layers": 1,
                 "intermediate_size": 8, "vocab_size": 8,
                 "quantization_config": {"quant_method": "compressed-tensors", "format": "int-quantized",
                  "quantization_status": "compressed",
                  "config_groups": {"group_0": {"targets": ["Linear"],
                    "weights": {"num_bits": 8, "type": "int", "symmetric": true, "strategy": "group", "group_size": 128,
                                "dynamic": false, "observer": "minmax"},
                    "input_activations": {"num_bits": 8, "type": "int", "symmetric": true, "strategy": "token",
                                          "dynamic": true, "observer": null},
                    "output_activations": null}},
                  "ignore": ["lm_head"], "kv_cache_scheme": null, "sparsity_config": {}}}
                """);
    }

    // ---- tokenizer.json ----

    private static void tokenizers(Path d) throws IOException {
        Files.writeString(d.resolve("bytelevel-bpe.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 13, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [13], "tokens": ["<|endoftext|>"]}}},
                 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                   "vocab": {"Ġ": 0, "h": 1, "e": 2, "l": 3, "o": 4, "Ġh": 5, "he": 6, "ll": 7, "hell": 8, "hello": 9, "w": 10,
                             "r": 11, "d": 12},
                   "merges": [["h", "e"], ["l", "l"], ["he", "ll"], "hell o", ["Ġ", "h"]]}}
                """);
        Files.writeString(d.resolve("split-regex.json"), """
                {"added_tokens": [], "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s+(?!\\\\S)|\\\\s+"},
                    "behavior": "Isolated", "invert": false},
                   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
                 "post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel"}]},
                 "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "ignore_merges": true, "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4},
                           "merges": ["a b", "Ġ a"]}}
                """);
        StringBuilder bytes = new StringBuilder();
        for (int b = 0; b < 256; b++) bytes.append(String.format("\"<0x%02X>\": %d, ", b, 3 + b));
        Files.writeString(d.resolve("sentencepiece-bpe.json"), """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true, "normalized": false},
                                  {"id": 1, "content": "<s>", "special": true, "normalized": false},
                                  {"id": 2, "content": "</s>", "special": true, "normalized": false}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                 "pre_tokenizer": null,
                 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                             {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
                 "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
                   "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, %s"▁": 259, "▁H": 260, "e": 261, "l": 262, "o": 263, "ll": 264, "H": 265},
                   "merges": ["▁ H", "l l"]}}
                """.formatted(bytes));
        Files.writeString(d.resolve("wordpiece.json"), """
                {"truncation": {"max_length": 16}, "added_tokens": [{"id": 0, "content": "[PAD]", "special": true},
                   {"id": 1, "content": "[UNK]", "special": true}, {"id": 2, "content": "[CLS]", "special": true},
                   {"id": 3, "content": "[SEP]", "special": true}],
                 "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                                "strip_accents": null, "lowercase": true},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                              {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                   "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                      "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
                 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "max_input_chars_per_word": 100,
                           "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, ",": 7}}}
                """);
    }

    // ---- llama2.c ----

    /** A legacy llama2.c checkpoint with small random-ish weights. */
    static byte[] llama2c(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, boolean shared) {
        int headDim = dim / heads, kvDim = kvHeads * headDim;
        long floats = (long) vocab * dim + layers * (2L * dim + 2L * dim * dim + 2L * dim * kvDim + 3L * dim * hidden)
                + dim + (long) seqLen * headDim + (shared ? 0 : (long) vocab * dim);
        ByteBuffer b = ByteBuffer.allocate((int) (28 + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kvHeads).putInt(shared ? vocab : -vocab).putInt(seqLen);
        for (long i = 0; i < floats; i++) b.putFloat((float) Math.sin(i * 0.37) * 0.1f);
        return b.array();
    }

    private static void llama2cModels(Path d) throws IOException {
        write(d.resolve("shared.bin"), llama2c(4, 8, 1, 2, 1, 8, 4, true));
        write(d.resolve("separate-head.bin"), llama2c(4, 6, 2, 1, 1, 5, 2, false));
        write(d.resolve("header-only.bin"), java.util.Arrays.copyOf(llama2c(4, 8, 1, 2, 2, 8, 4, true), 28));
    }

    /** A llama2.c tokenizer: unk, BOS, EOS, the 256 byte tokens, " ", and a few merged pieces. */
    static byte[] llama2cTokenizer() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] words = {" ", "e", "t", " t", "he", " the", "ll", "o", " hello"};
        int n = 3 + 256 + words.length;
        ByteBuffer b = ByteBuffer.allocate(4 + n * 8 + 64 + 256 * 6 + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(7);
        piece(b, 0, "<unk>".getBytes(StandardCharsets.UTF_8));
        piece(b, 0, "\n<s>\n".getBytes(StandardCharsets.UTF_8));
        piece(b, 0, "\n</s>\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 256; i++) piece(b, 0, String.format("<0x%02X>", i).getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < words.length; i++) piece(b, -i, words[i].getBytes(StandardCharsets.UTF_8));
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }

    private static void piece(ByteBuffer b, float score, byte[] piece) {
        b.putFloat(score).putInt(piece.length).put(piece);
    }

    private static void llama2cTokenizers(Path d) throws IOException {
        byte[] ok = llama2cTokenizer();
        write(d.resolve("tok.bin"), ok);
        write(d.resolve("truncated.bin"), java.util.Arrays.copyOf(ok, ok.length - 3));
    }

    // ---- ONNX ----

    private static void onnx(Path d) throws IOException {
        Proto graph = new Proto()
                .message(1, node("MatMul", "mm", new String[]{"x", "w"}, new String[]{"y"}))
                .message(1, node("Add", "add", new String[]{"y", "b"}, new String[]{"z"},
                        new Proto().string(1, "alpha").fixed32(2, 0.5f), new Proto().string(1, "perm").packed(8, 1, 0)))
                .message(1, node("Constant", "c", new String[0], new String[]{"k"},
                        new Proto().string(1, "value").message(5, new Proto().packed(1, 2).varint(2, 7).packed(7, 3, 4).string(8, ""))))
                .string(2, "g")
                .message(5, new Proto().packed(1, 2, 2).varint(2, 1).string(8, "w").bytes(9, floats(1, 2, 3, 4)))
                .message(5, new Proto().packed(1, 2).varint(2, 10).string(8, "b").bytes(9, new byte[]{0, 0x3c, 0, (byte) 0xc0}))
                .message(5, new Proto().varint(1, 3).varint(2, 1).bytes(4, floats(1.5f, 2.5f, 3.5f)).string(8, "fd"))
                .message(5, new Proto().varint(1, 2).varint(2, 7).packed(7, 9, -1).string(8, "ids"))
                .message(5, new Proto().varint(1, 1).varint(2, 11).bytes(10, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).array()).string(8, "dd"))
                .message(11, new Proto().string(1, "x"))
                .message(12, new Proto().string(1, "z"));
        byte[] model = new Proto().varint(1, 7).string(2, "sq-seed").message(8, new Proto().string(1, "").varint(2, 13))
                .message(7, graph).bytes();
        write(d.resolve("matmul-add.onnx"), model);
        write(d.resolve("no-graph.onnx"), new Proto().varint(1, 7).bytes());
    }

    private static Proto node(String op, String name, String[] in, String[] out, Proto... attrs) {
        Proto n = new Proto();
        for (String i : in) n.string(1, i);
        for (String o : out) n.string(2, o);
        n.string(3, name).string(4, op);
        for (Proto a : attrs) n.message(5, a);
        return n;
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    /** A minimal protobuf writer (wire types varint 0, fixed32 5, length-delimited 2). */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        byte[] bytes() {
            return out.toByteArray();
        }

        Proto varint(int field, long v) {
            raw((long) field << 3);
            raw(v);
            return this;
        }

        Proto fixed32(int field, float v) {
            raw((long) field << 3 | 5);
            int b = Float.floatToIntBits(v);
            for (int i = 0; i < 4; i++) out.write(b >>> (8 * i));
            return this;
        }

        Proto bytes(int field, byte[] b) {
            raw((long) field << 3 | 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.bytes());
        }

        Proto packed(int field, long... values) {
            Proto p = new Proto();
            for (long v : values) p.raw(v);
            return bytes(field, p.bytes());
        }

        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }
    }

    private static void write(Path p, byte[] b) throws IOException {
        Files.write(p, b);
    }
}
