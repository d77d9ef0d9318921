package sq.model;

/**
 * Hugging Face module names of one decoder layer. Absent modules are null (qNorm/kNorm outside Qwen3,
 * gate for OPT whose MLP is up=fc1, down=fc2).
 */
public record LayerNames(String attnNorm, String q, String k, String v, String o, String qNorm, String kNorm,
                         String mlpNorm, String gate, String up, String down) {
}
