package sq.distributed;

import java.util.function.Supplier;

/**
 * What the parts of a job load (the model, the tokenized text), kept once per JVM: the tasks of one job that run in
 * the same executor share it (the first loads it, the others wait for it rather than loading it again at the same
 * time); a job with another key replaces it, so at most one is held. Keyed by what the job was given (the command
 * line), not by the files' contents: executors live as long as their application, so only a second job of the same
 * command line in one application (a test, a driver program) would see a file changed in between as it was.
 */
public final class PerJvm {
    private static Object key, value;

    private PerJvm() {
    }

    /** The value for key, loaded by load when the JVM holds another key's (or none). */
    @SuppressWarnings("unchecked")
    public static synchronized <V> V get(Object key, Supplier<V> load) {
        if (!key.equals(PerJvm.key)) {
            PerJvm.key = null;
            value = null; // the old one may be collected while the new one loads
            value = load.get();
            PerJvm.key = key;
        }
        return (V) value;
    }
}
