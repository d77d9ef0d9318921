package sq.bert;

import sq.io.InputException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * ONNX Runtime's Java API on an encoder file, as the baseline and parity oracle: one sequence at a time, the
 * last_hidden_state output. ONNX Runtime is not a dependency of sq itself: it is used from the class path when there
 * (tests) or else loaded from its jar in the local Maven repository (com.microsoft.onnxruntime:onnxruntime), through
 * reflection.
 */
public final class OrtRunner implements AutoCloseable {
    public static final String COORDINATES = "com.microsoft.onnxruntime:onnxruntime:1.20.0";
    private static ClassLoader loader;

    private final Object env, session;
    private final Set<String> inputNames;
    private final Method createTensor, run, resultGet, valueGetValue, closeTensor, closeResult, closeSession;

    /** @param threads intra-op threads (ORT's own pool) */
    public OrtRunner(Path onnx, int threads) {
        ClassLoader cl = loader();
        try {
            Class<?> envC = Class.forName("ai.onnxruntime.OrtEnvironment", true, cl);
            Class<?> optsC = Class.forName("ai.onnxruntime.OrtSession$SessionOptions", true, cl);
            Class<?> sessC = Class.forName("ai.onnxruntime.OrtSession", true, cl);
            Class<?> tensorC = Class.forName("ai.onnxruntime.OnnxTensor", true, cl);
            Class<?> resultC = Class.forName("ai.onnxruntime.OrtSession$Result", true, cl);
            Class<?> valueC = Class.forName("ai.onnxruntime.OnnxValue", true, cl);
            env = envC.getMethod("getEnvironment").invoke(null);
            Object opts = optsC.getConstructor().newInstance();
            optsC.getMethod("setIntraOpNumThreads", int.class).invoke(opts, threads);
            optsC.getMethod("setInterOpNumThreads", int.class).invoke(opts, 1);
            session = envC.getMethod("createSession", String.class, optsC).invoke(env, onnx.toString(), opts);
            @SuppressWarnings("unchecked")
            Set<String> names = (Set<String>) sessC.getMethod("getInputNames").invoke(session);
            inputNames = names;
            createTensor = tensorC.getMethod("createTensor", envC, Object.class);
            run = sessC.getMethod("run", Map.class);
            resultGet = resultC.getMethod("get", int.class);
            valueGetValue = valueC.getMethod("getValue");
            closeTensor = tensorC.getMethod("close");
            closeResult = resultC.getMethod("close");
            closeSession = sessC.getMethod("close");
        } catch (InvocationTargetException e) {
            throw InputException.of(onnx, "ONNX Runtime cannot load it: " + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("unexpected ONNX Runtime API: " + e, e);
        }
    }

    /** Whether ONNX Runtime can be found (class path or local Maven repository). */
    public static boolean available() {
        try {
            loader();
            return true;
        } catch (InputException e) {
            return false;
        }
    }

    /** last_hidden_state [T, hidden] for token ids (mask all ones, token types 0). */
    public float[] hidden(int[] ids) {
        int T = ids.length;
        long[][] idArr = new long[1][T], mask = new long[1][T], types = new long[1][T];
        for (int t = 0; t < T; t++) {
            idArr[0][t] = ids[t];
            mask[0][t] = 1;
        }
        Map<String, Object> inputs = new LinkedHashMap<>();
        try {
            for (String name : inputNames) {
                long[][] data = name.contains("mask") ? mask : name.contains("type") ? types : idArr;
                inputs.put(name, createTensor.invoke(null, env, data));
            }
            Object result = run.invoke(session, inputs);
            try {
                float[][][] out = (float[][][]) valueGetValue.invoke(resultGet.invoke(result, 0));
                int H = out[0][0].length;
                float[] flat = new float[T * H];
                for (int t = 0; t < T; t++) System.arraycopy(out[0][t], 0, flat, t * H, H);
                return flat;
            } finally {
                closeResult.invoke(result);
            }
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } finally {
            for (Object t : inputs.values()) {
                try {
                    closeTensor.invoke(t);
                } catch (ReflectiveOperationException ignored) {
                    // closing is best effort
                }
            }
        }
    }

    /** Pooled and L2-normalized, like {@link BertEncoder#embed}. */
    public float[] embed(int[] ids, Pooling pooling) {
        float[] h = hidden(ids);
        return pooling.pool(h, ids.length, h.length / ids.length);
    }

    @Override
    public void close() {
        try {
            closeSession.invoke(session);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static synchronized ClassLoader loader() {
        if (loader != null) return loader;
        ClassLoader own = OrtRunner.class.getClassLoader();
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, own);
            return loader = own;
        } catch (ClassNotFoundException e) {
            // not on the class path: try the local Maven repository
        }
        Path base = Path.of(System.getProperty("user.home"), ".m2", "repository", "com", "microsoft", "onnxruntime", "onnxruntime");
        Path jar = null;
        if (Files.isDirectory(base)) {
            try (Stream<Path> s = Files.list(base)) {
                jar = s.map(v -> v.resolve("onnxruntime-" + v.getFileName() + ".jar")).filter(Files::isRegularFile)
                        .max(Comparator.comparing(p -> version(p.getParent().getFileName().toString()))).orElse(null);
            } catch (java.io.IOException e) {
                jar = null;
            }
        }
        if (jar == null)
            throw new InputException("ONNX Runtime is not on the class path nor in the local Maven repository; fetch it with: "
                    + "mvn dependency:get -Dartifact=" + COORDINATES);
        try {
            return loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, own);
        } catch (java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "1.20.0" -> sortable key. */
    private static String version(String v) {
        StringBuilder b = new StringBuilder();
        for (String part : v.split("[.-]")) b.append(String.format("%08d", part.matches("\\d+") ? Integer.parseInt(part) : 0));
        return b.toString();
    }
}
