package sq.cli;

import picocli.CommandLine.Command;
import sq.quant.Scheme;

@Command(name = "schemes", mixinStandardHelpOptions = true, description = "The W8A8 quantization presets (as in the SmoothQuant paper).")
final class SchemesCommand implements Runnable {
    @Override
    public void run() {
        System.out.printf("%-6s %-12s %-19s %-4s  %s%n", "name", "weights", "activations", "bmm", "");
        for (Scheme s : Scheme.PRESETS.values())
            System.out.printf("%-6s %-12s %-19s %-4s  %s%n", s.name(), s.weights().id, s.activations().id, s.bmm() ? "int8" : "fp", s.description());
        Scheme zq = Scheme.zeroQuant(128);
        System.out.println();
        System.out.println("baselines in ./sq eval:");
        System.out.printf("%-10s %-12s %-19s  %s%n", "zeroquant", zq.weights().id + "(128)", zq.activations().id, zq.description());
        System.out.printf("%-10s %-12s %-19s  %s%n", "llm.int8", "per_channel", "per_token",
                "LLM.int8()-style: input channels with calibrated max|x| > 6 stay in FP");
        System.out.println();
        System.out.println("bmm: the q/k/v projection outputs (inputs of Q.K^T and P.V) are quantized with the activation scheme.");
    }
}
