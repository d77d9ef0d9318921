package sq.cli;

import picocli.CommandLine.Option;
import sq.io.InputException;
import sq.quant.HeadPrecision;

/** --head: how the int8 engine stores the token embeddings and lm_head; shared by the commands that run it. */
final class HeadOption {
    @Option(names = "--head", paramLabel = "int8|fp32",
            description = "int8 engine: token embeddings and lm_head in int8 (embeddings with one scale per row; lm_head in "
                    + "W8A8, per-channel weights and per-token activations; a tied head shares the int8 rows), as llama.cpp's "
                    + "Q8_0 does; or fp32 as loaded, as the SmoothQuant reference and vLLM keep them (4x their bytes: "
                    + "0.5 GB more for TinyLlama-1.1B). Default: int8.")
    String head;

    /** The precision asked for; int8 by default. */
    HeadPrecision precision() {
        return head == null ? HeadPrecision.INT8 : HeadPrecision.parse(head);
    }

    /** Refuses --head where no int8 engine runs. */
    void requireUnsetFor(String engine) {
        if (head != null) throw new InputException("--head only applies to --engine int8, not " + engine);
    }
}
