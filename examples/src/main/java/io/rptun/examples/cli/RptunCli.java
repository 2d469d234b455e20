package io.rptun.examples.cli;

import io.rptun.core.RptunException;
import io.rptun.core.lifecycle.RptunLifecycleException;
import io.rptun.core.rsc.ResourceTableException;
import io.rptun.sim.SimException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rptun}: the command line. Every command has {@code --help}; errors are one line on stderr, never
 * a stack trace (add {@code --verbose-errors}, or set {@code RPTUN_DEBUG=1}, for one).
 */
@Command(name = "rptun", mixinStandardHelpOptions = true, version = "rptun 0.1.0-SNAPSHOT",
        description = "RPTUN/OpenAMP rpmsg over shared memory on the JVM.",
        subcommands = {DemoCommand.class, PingCommand.class, DumpCommand.class, HostCommand.class, ExampleCommand.class,
                SocketCommand.class, RemoteCommand.class, ConsoleCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the link failed (peer lost, timeout, wrong answer)",
                "2:bad usage or bad input (unknown option; a missing, foreign, busy, stale or malformed file or socket path)",
                "130:interrupted (Ctrl-C; 143 for SIGTERM); everything started was cleaned up"})
public final class RptunCli {
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs {@code args} and returns the exit code (what tests call). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new RptunCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("rptun " + commandLine.getCommandName() + ": " + oneLine(e));
            if (System.getenv("RPTUN_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return isBadInput(e) ? ExitCodes.BAD_INPUT : isInterrupted(e) ? ExitCodes.INTERRUPTED : ExitCodes.FAILED;
        });
        return cli.execute(args);
    }

    static boolean isBadInput(Throwable e) {
        if (e instanceof ResourceTableException || e instanceof IllegalArgumentException || e instanceof DumpException) {
            return true;
        }
        if (e instanceof SimException s) {
            return s.isBadInput();
        }
        return e.getCause() != null && e.getCause() != e && isBadInput(e.getCause());
    }

    /** A wait that ended because the process is being stopped (Ctrl-C, SIGTERM) or the thread interrupted. */
    static boolean isInterrupted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RptunLifecycleException l && (l.reason() == RptunLifecycleException.Reason.INTERRUPTED
                    || l.reason() == RptunLifecycleException.Reason.CLOSED)) {
                return true;
            }
            if (t instanceof SimException s && s.reason() == SimException.Reason.INTERRUPTED) {
                return true;
            }
        }
        return false;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        if (e instanceof RptunException r) {
            // "could not start" wraps the typed reason that matters (IN_USE, TIMEOUT, ...): name it too.
            Enum<?> root = r.reason();
            boolean wrapper = r.reason() == RptunLifecycleException.Reason.START_FAILED;
            for (Throwable t = e.getCause(); wrapper && t != null && t != t.getCause(); t = t.getCause()) {
                if (t instanceof RptunException c) {
                    root = c.reason();
                }
            }
            m = m + " [" + r.reason() + (root == r.reason() ? "" : ", cause " + root) + "]";
        }
        return m.replace('\n', ' ');
    }
}
