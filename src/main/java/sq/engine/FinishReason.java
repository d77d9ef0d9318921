package sq.engine;

/** Why a sequence ended, with OpenAI's names where it has one (vLLM's "abort" for a cancel). */
public enum FinishReason {
    /** an end-of-sequence id was sampled (or the client's stop string matched: the shell cancels with this reason) */
    STOP("stop"),
    /** max tokens reached, or the context is full */
    LENGTH("length"),
    /** cancelled by the client (disconnect) or by a shutdown past its deadline */
    CANCELLED("abort");

    public final String openAi;

    FinishReason(String openAi) {
        this.openAi = openAi;
    }
}
