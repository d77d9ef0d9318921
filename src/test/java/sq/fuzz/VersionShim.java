package sq.fuzz;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * Lets Jazzer 0.24.0 instrument this project's classes on JDK 25.
 *
 * <p>Jazzer 0.24.0 bundles ASM 9.7, which reads class files up to version 67 (Java 23); javac --release 25 writes
 * version 69, so without help Jazzer logs "Unsupported class file major version 69" for every class and fuzzes
 * blind (no coverage feedback, no comparison hooks). This transformer, registered before Jazzer's agent, rewrites the
 * major version of {@code sq/*} classes from 69 (or 68) to 67 as they are loaded or retransformed; Jazzer then sees
 * a class file it can read. Nothing else changes: Java 24 and 25 added no class-file features that javac emits for
 * this code (no preview features are used), and HotSpot loads version-67 classes that call JDK 25 APIs. The shim
 * only exists in the fuzzing JVMs (test scope); the built jar is untouched.
 *
 * <p>It attaches through Jazzer's own bundled ByteBuddy agent (looked up by name, since that jar is on the test
 * runtime class path only); when that is missing the shim is skipped with a warning and Jazzer runs uninstrumented.
 */
final class VersionShim {
    private static final int READABLE = 67;
    private static boolean installed;

    private VersionShim() {
    }

    static synchronized void install() {
        if (installed) return;
        installed = true;
        Instrumentation inst;
        try {
            Class<?> agent = Class.forName("com.code_intelligence.jazzer.third_party.net.bytebuddy.agent.ByteBuddyAgent");
            inst = (Instrumentation) agent.getMethod("install").invoke(null);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            System.err.println("sq fuzz: cannot attach the class-version shim (" + e + "); Jazzer runs without coverage on JDK 25");
            return;
        }
        inst.addTransformer(new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain, byte[] b) {
                if (name == null || !name.startsWith("sq/") || b.length < 8) return null;
                int minor = (b[4] & 0xff) << 8 | (b[5] & 0xff);
                int major = (b[6] & 0xff) << 8 | (b[7] & 0xff);
                if (major <= READABLE || minor != 0) return null;
                byte[] out = b.clone();
                out[6] = (byte) (READABLE >>> 8);
                out[7] = (byte) READABLE;
                return out;
            }
        }, true);
    }
}
