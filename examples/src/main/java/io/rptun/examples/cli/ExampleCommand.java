package io.rptun.examples.cli;

import io.rptun.examples.CoreEchoExample;
import io.rptun.examples.ReactiveEchoExample;
import io.rptun.examples.SensorExample;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rptun example NAME}: runs one of the examples. */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = {"Runs an example (each starts its own remote JVM over /dev/shm and cleans up):",
                "  core-echo      echo client and server on the core API",
                "  reactive-echo  echo client and request/response server on the reactive API",
                "  sensor         a remote sensor streaming readings to a slow reactive consumer, with commands and a live dump",
                "  kotlin-echo    the Kotlin coroutines example (receive().asFlow(), a suspending send)"})
final class ExampleCommand implements Callable<Integer> {
    static final List<String> NAMES = List.of("core-echo", "reactive-echo", "sensor", "kotlin-echo");

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "core-echo, reactive-echo, sensor or kotlin-echo")
    String name;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        return switch (name) {
            case "core-echo" -> CoreEchoExample.run(out);
            case "reactive-echo" -> ReactiveEchoExample.run(out);
            case "sensor" -> SensorExample.run(out, file -> {
                java.io.StringWriter dump = new java.io.StringWriter();
                RptunCli.execute(new String[] {"dump", file.toString()}, new PrintWriter(dump, true),
                        new PrintWriter(dump, true));
                return dump.toString();
            });
            case "kotlin-echo" -> {
                io.rptun.examples.KotlinEcho.main();
                yield ExitCodes.OK;
            }
            default -> throw new IllegalArgumentException("no example '" + name + "' (try " + String.join(", ", NAMES) + ")");
        };
    }
}
