package sq.io;

/**
 * A problem with something the user gave us (a file, a folder, an option), as opposed to a bug.
 * The CLI prints {@link #getMessage()} as one line and exits with code 2; no stack trace.
 * Messages name the file (and tensor or key where there is one) and say what is wrong.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: problem" */
    public static InputException of(Object file, String problem) {
        return new InputException(file + ": " + problem);
    }
}
