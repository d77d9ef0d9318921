package sq.quant;

import sq.io.InputException;

import java.util.ArrayList;
import java.util.List;

/**
 * Which migration strengths to try: fixed values ("0.5,0.85"), a sweep ("0:1:0.1" = start:end:step, inclusive)
 * and/or "auto" (per-group search), comma-separated.
 */
public record AlphaSpec(List<Float> values, boolean auto) {

    public static AlphaSpec parse(String spec) {
        List<Float> values = new ArrayList<>();
        boolean auto = false;
        for (String part : spec.split(",")) {
            part = part.trim();
            if (part.equalsIgnoreCase("auto")) {
                auto = true;
            } else if (part.contains(":")) {
                String[] p = part.split(":");
                if (p.length != 3) throw new InputException("alpha sweep '" + part + "' must be start:end:step, e.g. 0:1:0.1");
                double a = number(p[0]), b = number(p[1]), step = number(p[2]);
                if (step <= 0 || b < a) throw new InputException("alpha sweep '" + part + "' needs start <= end and step > 0");
                int n = (int) Math.floor((b - a) / step + 1e-6);
                for (int i = 0; i <= n; i++) values.add(check((float) (Math.round((a + i * step) * 1e6) / 1e6)));
            } else {
                values.add(check((float) number(part)));
            }
        }
        return new AlphaSpec(List.copyOf(values), auto);
    }

    /** Exactly one alpha: a value in [0, 1], or null for "auto" (the per-group search). */
    public static Float single(String spec) {
        AlphaSpec s = parse(spec);
        if (s.values().size() + (s.auto() ? 1 : 0) != 1) throw new InputException("--alpha takes one value or auto, got '" + spec + "'");
        return s.auto() ? null : s.values().getFirst();
    }

    private static double number(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new InputException("alpha '" + s + "' is not a number (give e.g. 0.5, 0.5,0.85, 0:1:0.1 or auto)");
        }
    }

    private static float check(float a) {
        if (!(a >= 0 && a <= 1)) throw new InputException("alpha " + a + " is outside [0, 1]");
        return a;
    }
}
