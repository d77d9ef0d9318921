package sq.model;

/** Sees the input and output of every decoder-layer linear as it runs (calibration hooks). */
@FunctionalInterface
public interface LinearObserver {
    /** x is [tokens, linear.in()], y is [tokens, linear.out()]; both valid only during the call. */
    void observe(Linear linear, float[] x, float[] y, int tokens);
}
