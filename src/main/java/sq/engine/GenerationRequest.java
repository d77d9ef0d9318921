package sq.engine;

import java.util.Set;

/**
 * One generation: prompt ids and how to continue them.
 *
 * @param maxTokens        new tokens at most (>= 1)
 * @param minTokens        stop ids are not sampled before this many new tokens (vLLM's min_tokens)
 * @param temperature      0 = greedy
 * @param stopIds          ids that end the sequence (empty: vLLM's ignore_eos)
 * @param presencePenalty  subtracted from the logit of every token generated so far (OpenAI's presence_penalty)
 * @param frequencyPenalty subtracted once per earlier occurrence (OpenAI's frequency_penalty)
 * @param topLogprobs      -1: no logprobs; 0..20: the sampled token's logprob and that many alternatives
 */
public record GenerationRequest(int[] prompt, int maxTokens, int minTokens, float temperature, float topP, long seed,
                                Set<Integer> stopIds, float presencePenalty, float frequencyPenalty, int topLogprobs) {
    public GenerationRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1");
        if (minTokens < 0 || minTokens > maxTokens) throw new IllegalArgumentException("minTokens must be in [0, maxTokens]");
        prompt = prompt.clone();
        stopIds = Set.copyOf(stopIds);
    }

    /** Greedy decoding of up to maxTokens, stopping at stopIds. */
    public static GenerationRequest greedy(int[] prompt, int maxTokens, Set<Integer> stopIds) {
        return new GenerationRequest(prompt, maxTokens, 0, 0, 1, 0, stopIds, 0, 0, -1);
    }
}
