package sq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import sq.io.InputException;

/** Entry point of ./sq: one subcommand per verb; user errors are one line and exit code 2. */
@Command(name = "sq", mixinStandardHelpOptions = true, version = "sq 0.1.0",
        description = "SmoothQuant for the JVM: load, evaluate, quantize and run LLMs in W8A8.",
        subcommands = {DemoCommand.class, GenerateCommand.class, PplCommand.class, BenchCommand.class, CalibrateCommand.class,
                EvalCommand.class, QuantizeCommand.class, SchemesCommand.class, LogitsCommand.class, InspectCommand.class, EmbedEvalCommand.class,
                TokenizeCommand.class, ServeCommand.class, LoadtestCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int USER_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InputException) {
                cmd.getErr().println("sq: " + e.getMessage());
                if (debug) e.printStackTrace(cmd.getErr());
                return USER_ERROR;
            }
            throw e;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("sq: " + e.getMessage());
            e.getCommandLine().getErr().println("Try 'sq " + e.getCommandLine().getCommandName() + " --help'.");
            return USER_ERROR;
        });
        return cl.execute(args);
    }
}
