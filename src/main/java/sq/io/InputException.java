package sq.io;

/**
 * A problem with something the user gave us (a file, a folder, an option), as opposed to a bug.
 * The CLI prints {@link #getMessage()} as one line and exits with code 2; no stack trace.
 * Messages name the file (and tensor or key where there is one) and say what is wrong.
 *
 * <p>Messages quote names and values taken from hostile files, so they are made safe here: control characters
 * (line breaks, terminal escapes) are written as backslash-u escapes and a message longer than {@link #MAX_MESSAGE}
 * characters keeps its start (the file) and its end (the problem) around an ellipsis. The message is always one line.
 */
public class InputException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Longest message kept whole; a tensor name of megabytes must not become a megabyte error line. */
    static final int MAX_MESSAGE = 2000;

    public InputException(String message) {
        super(oneLine(message));
    }

    public InputException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** "FILE: problem" */
    public static InputException of(Object file, String problem) {
        return new InputException(file + ": " + problem);
    }

    /** Control characters escaped, long messages shortened in the middle. */
    static String oneLine(String message) {
        if (message == null) return "(no message)";
        StringBuilder b = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            boolean unsafe = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (unsafe && b == null) b = new StringBuilder(message.length() + 16).append(message, 0, i);
            if (b != null) {
                if (unsafe) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
        }
        String s = b == null ? message : b.toString();
        if (s.length() <= MAX_MESSAGE) return s;
        int half = MAX_MESSAGE / 2 - 3;
        return s.substring(0, half) + " … " + s.substring(s.length() - half);
    }
}
