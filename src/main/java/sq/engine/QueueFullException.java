package sq.engine;

/** The engine's waiting queue is full (or it is shutting down): the caller should retry later. */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(String message) {
        super(message);
    }
}
