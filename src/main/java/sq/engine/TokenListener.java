package sq.engine;

/**
 * Receives one sequence's tokens, on the engine's thread: implementations hand them on and return at once (the
 * whole batch waits for them).
 */
public interface TokenListener {
    /** A new token; logprobs is null unless the request asked for them. */
    void onToken(int id, TokenLogprobs logprobs);

    /** The sequence ended; no call follows. */
    void onFinish(FinishReason reason, int promptTokens, int completionTokens);
}
