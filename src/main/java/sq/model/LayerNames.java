package sq.model;

/**
 * Hugging Face module names of one decoder layer; absent modules are null. A layer has either q, k and v or their
 * fused qkv, either gate and up or their fused gateUp (or up alone, ungated); attnNorm and mlpNorm are the norms in
 * front of the attention and the MLP (after them in post-LN blocks), postAttnNorm and postMlpNorm those applied to
 * the blocks' outputs (Gemma 2/3, OLMo 2).
 */
public record LayerNames(String attnNorm, String postAttnNorm, String mlpNorm, String postMlpNorm, String qNorm, String kNorm,
                         String q, String k, String v, String qkv, String o, String gate, String up, String gateUp,
                         String down) {

    /** The usual pre-norm layout with separate q, k, v and, where gate is non-null, a gated MLP. */
    public static LayerNames of(String attnNorm, String q, String k, String v, String o, String qNorm, String kNorm,
                                String mlpNorm, String gate, String up, String down) {
        return new LayerNames(attnNorm, null, mlpNorm, null, qNorm, kNorm, q, k, v, null, o, gate, up, null, down);
    }

    /** The linears, in execution order (q, k, v or qkv, o, then gate, up or gateUp, down), absent ones left out. */
    public java.util.List<String> linears() {
        java.util.List<String> l = new java.util.ArrayList<>();
        for (String s : new String[]{q, k, v, qkv, o, gate, up, gateUp, down}) if (s != null) l.add(s);
        return l;
    }

    /** The linears whose outputs feed the attention BMMs (q, k, v or the fused qkv). */
    public java.util.List<String> bmmInputs() {
        return qkv != null ? java.util.List.of(qkv) : java.util.List.of(q, k, v);
    }
}
