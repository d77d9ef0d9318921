package sq.model;

import com.fasterxml.jackson.databind.JsonNode;
import sq.io.InputException;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * config.json as an architecture reads it: typed fields with one-line errors naming the key, and a record of the
 * keys read, so that a key which may change the math and which no one read is refused ({@link #refuseUnread})
 * rather than silently ignored.
 */
public final class ConfigReader {
    /** Keys that never change a decoder's forward pass (training, generation, bookkeeping, heads we do not run). */
    private static final Set<String> INERT = Set.of("transformers_version", "architectures", "model_type", "dtype", "torch_dtype",
            "use_cache", "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id",
            "initializer_range", "init_std", "initializer_factor", "_name_or_path", "output_attentions", "output_hidden_states",
            "return_dict", "use_return_dict", "torchscript", "tokenizer_class", "prefix", "task_specific_params", "id2label",
            "label2id", "problem_type", "finetuning_task", "auto_map", "quantization_config", "chunk_size_feed_forward",
            "attention_dropout", "hidden_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop", "dropout", "activation_dropout",
            "classifier_dropout", "layerdrop", "summary_type", "summary_use_proj", "summary_activation", "summary_proj_to_labels",
            "summary_first_dropout", "pretraining_tp", "max_length", "min_length", "do_sample", "temperature", "top_k",
            "top_p", "num_beams", "repetition_penalty", "length_penalty", "no_repeat_ngram_size", "bad_words_ids",
            "num_return_sequences", "early_stopping", "typical_p", "diversity_penalty", "num_beam_groups",
            "encoder_no_repeat_ngram_size", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
            "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "tf_legacy_loss",
            "pruned_heads", "cross_attention_hidden_size", "is_encoder_decoder", "architectures_", "_attn_implementation",
            "attn_implementation", "router_aux_loss_coef", "output_router_logits", "keys_to_ignore_at_inference",
            "_sliding_window_pattern", "sliding_window_pattern", "gradient_checkpointing", "use_bfloat16");

    private final JsonNode c;
    private final Path file;
    private final Set<String> read = new HashSet<>();

    public ConfigReader(JsonNode c, Path file) {
        this.c = c;
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The whole object, for readers that take it as it is (RoPE's parameters); the caller marks what it reads. */
    JsonNode root() {
        return c;
    }

    /** The raw node of key (null when absent), marked as read. */
    public JsonNode node(String key) {
        read.add(key);
        JsonNode v = c.get(key);
        return v == null || v.isNull() ? null : v;
    }

    public boolean has(String key) {
        return node(key) != null;
    }

    public int integer(String key) {
        JsonNode v = node(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0)
            throw InputException.of(file, "'" + key + "' must be a positive integer, got " + (v == null ? "nothing" : v));
        return v.asInt();
    }

    public int integer(String key, int dflt) {
        return node(key) == null ? dflt : integer(key);
    }

    public double number(String key, double dflt) {
        JsonNode v = node(key);
        if (v == null) return dflt;
        if (!v.isNumber()) throw InputException.of(file, "'" + key + "' must be a number, got " + v);
        if (!Double.isFinite(v.asDouble())) throw InputException.of(file, "'" + key + "' must be a finite number, got " + v);
        return v.asDouble();
    }

    public boolean bool(String key, boolean dflt) {
        JsonNode v = node(key);
        if (v == null) return dflt;
        if (!v.isBoolean()) throw InputException.of(file, "'" + key + "' must be true or false, got " + v);
        return v.booleanValue();
    }

    public String text(String key, String dflt) {
        JsonNode v = node(key);
        if (v == null) return dflt;
        if (!v.isTextual()) throw InputException.of(file, "'" + key + "' must be a string, got " + v);
        return v.asText();
    }

    /** A key whose only supported value is want (or absence): anything else is refused, naming the key. */
    public void require(String key, Object want, String why) {
        JsonNode v = node(key);
        if (v == null) return;
        boolean ok = want instanceof Boolean b ? v.isBoolean() && v.booleanValue() == b
                : want instanceof Number n ? v.isNumber() && v.asDouble() == n.doubleValue() : v.isTextual() && v.asText().equals(want);
        if (!ok) throw InputException.of(file, "'" + key + "' = " + v + " is not supported" + (why == null ? "" : " (" + why + ")"));
    }

    /** The first of a list or the number itself (eos_token_id may be a list), or null. */
    public Integer firstInt(String key) {
        JsonNode v = node(key);
        if (v != null && v.isArray() && !v.isEmpty()) v = v.get(0);
        return v != null && v.canConvertToInt() ? v.asInt() : null;
    }

    /**
     * Refuses the first key that is set (not null), was not read, and is not known to be inert: it may change the
     * math, and computing without it would be silently wrong.
     */
    public void refuseUnread(String architecture) {
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (read.contains(k) || INERT.contains(k) || c.get(k).isNull()) continue;
            throw InputException.of(file, "config key '" + k + "' (= " + abbreviate(c.get(k).toString()) + ") is not read by sq's "
                    + architecture + " and may change the math; refusing rather than ignoring it");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
