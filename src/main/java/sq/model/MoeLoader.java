package sq.model;

/**
 * Reads one layer's mixture from a checkpoint in the layout it has: per-expert linears (Mixtral, Qwen) through the
 * loader's linear reader (float or quantized), or slices of gpt-oss's fused 3-D tensors (float), de-interleaved
 * into per-expert gate and up; a quantized gpt-oss holds its experts per expert (as ./sq quantize writes them). Shapes are checked up front with the rest of the checkpoint ({@link #check}).
 */
final class MoeLoader {
    private MoeLoader() {
    }

    static void check(ModelLoader ld, ModelConfig cfg, MoeNames n) {
        MoeConfig c = cfg.block().moe();
        int H = cfg.hidden(), E = c.experts(), I = c.intermediate();
        ld.checkLinear(n.router(), H, E);
        if (n.fused() && !ld.quantized()) {
            ld.check(n.fusedGateUp(), E, H, 2L * I);
            if (ld.has(n.fusedGateUp() + "_bias")) ld.check(n.fusedGateUp() + "_bias", E, 2L * I);
            ld.check(n.fusedDown(), E, I, H);
            if (ld.has(n.fusedDown() + "_bias")) ld.check(n.fusedDown() + "_bias", E, H);
        } else if (!ld.quantized()) {
            for (int e = 0; e < E; e++) {
                ld.checkLinear(n.expertGate(e), H, I);
                ld.checkLinear(n.expertUp(e), H, I);
                ld.checkLinear(n.expertDown(e), I, H);
            }
        }
        if (n.shared() != null && !ld.quantized()) {
            int S = c.sharedIntermediate();
            ld.checkLinear(n.sharedGateProj(), H, S);
            ld.checkLinear(n.sharedUpProj(), H, S);
            ld.checkLinear(n.sharedDownProj(), S, H);
        }
        if (n.sharedGate() != null) ld.checkLinear(n.sharedGate(), H, 1);
    }

    static Moe read(ModelLoader ld, ModelConfig cfg, MoeNames n, ModelLoader.LinearReader r) {
        MoeConfig c = cfg.block().moe();
        int H = cfg.hidden(), E = c.experts(), I = c.intermediate();
        Linear[] gate = new Linear[E], up = new Linear[E], down = new Linear[E];
        if (n.fused() && !ld.quantized()) {
            fused(ld, n, E, H, I, gate, up, down);
        } else {
            for (int e = 0; e < E; e++) {
                gate[e] = r.read(n.expertGate(e), H, I);
                up[e] = r.read(n.expertUp(e), H, I);
                down[e] = r.read(n.expertDown(e), I, H);
            }
        }
        Linear sg = null, su = null, sd = null;
        if (n.shared() != null) {
            int S = c.sharedIntermediate();
            sg = r.read(n.sharedGateProj(), H, S);
            su = r.read(n.sharedUpProj(), H, S);
            sd = r.read(n.sharedDownProj(), S, H);
        }
        return new Moe(ld.linear(n.router(), H, E), n.sharedGate() == null ? null : ld.linear(n.sharedGate(), H, 1), gate, up, down,
                sg, su, sd, null, null);
    }

    /**
     * gate_up [E, H, 2I] (x @ W: column 2i is gate unit i, 2i + 1 up unit i) and down [E, I, H] to per-expert [out, in]
     * linears.
     */
    private static void fused(ModelLoader ld, MoeNames n, int E, int H, int I, Linear[] gate, Linear[] up, Linear[] down) {
        float[] gu = ld.tensor(n.fusedGateUp(), E, H, 2L * I), dn = ld.tensor(n.fusedDown(), E, I, H);
        String gub = n.fusedGateUp() + "_bias", db = n.fusedDown() + "_bias";
        float[] guBias = ld.has(gub) ? ld.tensor(gub, E, 2L * I) : null, dBias = ld.has(db) ? ld.tensor(db, E, H) : null;
        for (int e = 0; e < E; e++) {
            float[] g = new float[I * H], u = new float[I * H], d = new float[H * I];
            int base = e * H * 2 * I;
            for (int j = 0; j < H; j++)
                for (int i = 0; i < I; i++) {
                    g[i * H + j] = gu[base + j * 2 * I + 2 * i];
                    u[i * H + j] = gu[base + j * 2 * I + 2 * i + 1];
                }
            for (int i = 0; i < I; i++)
                for (int o = 0; o < H; o++) d[o * I + i] = dn[e * I * H + i * H + o];
            float[] gb = null, ub = null, bd = null;
            if (guBias != null) {
                gb = new float[I];
                ub = new float[I];
                for (int i = 0; i < I; i++) {
                    gb[i] = guBias[e * 2 * I + 2 * i];
                    ub[i] = guBias[e * 2 * I + 2 * i + 1];
                }
            }
            if (dBias != null) bd = java.util.Arrays.copyOfRange(dBias, e * H, (e + 1) * H);
            gate[e] = new DenseLinear(n.expertGate(e), g, gb, H, I);
            up[e] = new DenseLinear(n.expertUp(e), u, ub, H, I);
            down[e] = new DenseLinear(n.expertDown(e), d, bd, I, H);
        }
    }
}
