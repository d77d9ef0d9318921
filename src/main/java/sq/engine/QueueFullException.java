package sq.engine;

/** The engine's waiting queue is full, or it is shutting down: the caller should retry later (elsewhere). */
public final class QueueFullException extends RuntimeException {
    public final boolean shuttingDown;

    public QueueFullException(String message, boolean shuttingDown) {
        super(message);
        this.shuttingDown = shuttingDown;
    }
}
