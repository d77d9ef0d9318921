package sq.serve;

import com.fasterxml.jackson.databind.JsonNode;
import sq.engine.GenerationRequest;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A /v1/completions or /v1/chat/completions request, checked: OpenAI's parameters (n = 1 only) and vLLM's
 * benchmarking extensions ignore_eos and min_tokens.
 *
 * @param logprobs -1: none; else how many alternatives per token
 */
record Params(boolean chat, int[] prompt, int maxTokens, float temperature, float topP, long seed, List<String> stop, boolean stream,
              boolean includeUsage, int logprobs, boolean ignoreEos, int minTokens, float presencePenalty, float frequencyPenalty) {

    /** OpenAI's default max_tokens of the legacy completions endpoint. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    static Params parse(JsonNode body, boolean chat, ServedModel m) {
        Fields f = new Fields(body);
        String model = f.string("model", null);
        if (model == null) throw ApiException.invalid("model", "'model' is required (this server has " + m.id() + ")");
        if (!model.equals(m.id()))
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + model + "' does not exist; this server has " + m.id());
        if (f.integer("n", 1, 1, Integer.MAX_VALUE) != 1) throw ApiException.invalid("n", "only n = 1 is supported");
        if (f.integer("best_of", 1, 1, Integer.MAX_VALUE) != 1) throw ApiException.invalid("best_of", "only best_of = 1 is supported");
        if (f.bool("echo", false)) throw ApiException.invalid("echo", "echo is not supported");
        if (f.has("suffix")) throw ApiException.invalid("suffix", "suffix is not supported");
        if (f.has("tools") || f.has("functions")) throw ApiException.invalid(f.has("tools") ? "tools" : "functions", "tool calls are not supported");
        int[] prompt = chat ? ChatPrompt.ids(m, ChatPrompt.messages(f)) : completionPrompt(f, m);
        if (prompt.length == 0) throw ApiException.invalid(chat ? "messages" : "prompt", "the prompt is empty");
        int context = m.engine().config().maxContext();
        String maxName = chat && f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer max = f.integer(maxName, null, 1, Integer.MAX_VALUE);
        if (prompt.length >= context)
            throw new ApiException(400, "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded",
                    "This model's maximum context length is " + context + " tokens; the prompt has " + prompt.length
                            + " (prompt and at least one new token must fit)");
        if (max == null) max = chat ? context - prompt.length : Math.min(COMPLETIONS_DEFAULT_MAX_TOKENS, context - prompt.length);
        if (prompt.length + max > context)
            throw new ApiException(400, "invalid_request_error", maxName, "context_length_exceeded",
                    "This model's maximum context length is " + context + " tokens; you requested " + (prompt.length + max)
                            + " (" + prompt.length + " in the prompt, " + max + " in the completion)");
        float temperature = f.number("temperature", 1, 0, false, 2);
        float topP = f.number("top_p", 1, 0, true, 1);
        Long seed = f.int64("seed");
        List<String> stop = f.stop();
        boolean stream = f.bool("stream", false);
        boolean includeUsage = false;
        JsonNode so = f.get("stream_options");
        if (so != null) {
            if (!stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
            if (!so.isObject()) throw ApiException.invalid("stream_options", "'stream_options' must be an object");
            includeUsage = new Fields(so).bool("include_usage", false);
        }
        int logprobs;
        if (chat) {
            boolean lp = f.bool("logprobs", false);
            Integer top = f.integer("top_logprobs", null, 0, 20);
            if (top != null && !lp) throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            logprobs = lp ? (top == null ? 0 : top) : -1;
        } else {
            logprobs = f.integer("logprobs", -1, 0, 5);
        }
        boolean ignoreEos = f.bool("ignore_eos", false);
        int minTokens = f.integer("min_tokens", 0, 0, max);
        float presence = f.number("presence_penalty", 0, -2, false, 2);
        float frequency = f.number("frequency_penalty", 0, -2, false, 2);
        return new Params(chat, prompt, max, temperature, topP, seed != null ? seed : ThreadLocalRandom.current().nextLong(), stop,
                stream, includeUsage, logprobs, ignoreEos, minTokens, presence, frequency);
    }

    /** A string, a list of token ids, or a list holding one of those (OpenAI's batch form, one prompt only here). */
    private static int[] completionPrompt(Fields f, ServedModel m) {
        JsonNode p = f.get("prompt");
        if (p == null) throw ApiException.invalid("prompt", "'prompt' is required");
        if (p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) p = p.get(0);
        else if (p.isArray() && !p.isEmpty() && (p.get(0).isTextual() || p.get(0).isArray()))
            throw ApiException.invalid("prompt", "only one prompt per request is supported");
        if (p.isTextual()) {
            if (m.tokenizer() == null)
                throw ApiException.invalid("prompt", "model " + m.id() + " has no tokenizer (random weights of a --shape): give the prompt as token ids");
            int[] ids = m.tokenizer().encode(p.asText());
            return m.bosId() == null ? ids : ChatPrompt.prepend(m.bosId(), ids);
        }
        if (!p.isArray()) throw ApiException.invalid("prompt", "'prompt' must be a string or an array of token ids");
        int vocab = m.engine().model().config().vocab();
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = p.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= vocab)
                throw ApiException.invalid("prompt", "prompt[" + i + "] is not a token id in [0, " + vocab + ")");
            ids[i] = t.asInt();
        }
        return ids;
    }

    GenerationRequest toRequest(Set<Integer> eos) {
        return new GenerationRequest(prompt, maxTokens, minTokens, temperature, topP, seed, ignoreEos ? Set.of() : eos,
                presencePenalty, frequencyPenalty, logprobs);
    }
}
