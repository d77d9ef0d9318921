package sq.inspect;

/** Where long work reports how far it is (the CLI shows a bar on a terminal, quiet lines otherwise). */
@FunctionalInterface
public interface ProgressSink {
    /** One task of total steps. */
    interface Task extends AutoCloseable {
        void stepTo(long done);

        @Override
        void close();
    }

    Task start(String name, long total);

    /** Reports nothing. */
    ProgressSink NONE = (name, total) -> new Task() {
        @Override
        public void stepTo(long done) {
        }

        @Override
        public void close() {
        }
    };
}
