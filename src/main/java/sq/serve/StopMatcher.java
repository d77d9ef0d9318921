package sq.serve;

import java.util.List;

/**
 * Stop strings over streamed text: text is released only once no stop string can begin in it, and a match ends
 * the output just before the stop string (which is not returned, as OpenAI does). Public for in-process callers
 * (the langchain4j module).
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Adds text; returns what can be released now. */
    public String add(String text) {
        if (stopped) return "";
        held.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = 0; // the longest end of held that starts a stop string
        String h = held.toString();
        for (String s : stops)
            for (int k = Math.min(s.length() - 1, h.length()); k > keep; k--)
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The rest at the end of the output (no stop string matched). */
    public String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }
}
