package io.rptun.examples.cli;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.nuttx.NuttxTty;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.NuttxSimOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rptun console --nuttx-sim}: the terminal attached to NuttX's proxy's console, as the server's {@code cu}. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Attaches this terminal to the console (NSH) of NuttX's simulator proxy over rpmsg-tty, as the",
                "server's 'cu' does: rptun is the server, creates --shm (default /dev/shm/server-proxy) and waits for",
                "NuttX's proxy to boot. Type 'uname -a'; a line '~.' (or end of input) leaves."})
final class ConsoleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--nuttx-sim", required = true, description = "NuttX's simulator (the only console there is)")
    boolean nuttx;

    @Option(names = "--shm", description = "the shared file (default " + NuttxSimLayout.DEFAULT_PATH + ")")
    @Nullable Path shm;

    @Option(names = "--cpu", paramLabel = "NAME", defaultValue = NuttxSimLayout.PROXY,
            description = "the proxy's cpu name, also its console's name: rpmsg-tty<NAME> (default ${DEFAULT-VALUE})")
    String cpu;

    @Option(names = "--wait-ms", defaultValue = "60000", description = "how long to wait for the proxy (default ${DEFAULT-VALUE})")
    long waitMs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        NuttxSimOptions o = NuttxSimOptions.defaults().withAttachTimeout(Duration.ofMillis(waitMs));
        o = o.withPath(shm != null ? shm : o.path()).withNames(o.hostName(), cpu);
        out.println("console: " + o.path() + " laid out as NuttX's server; start NuttX's proxy now");
        out.flush();
        try (Rptun server = Rptun.create(NuttxSimDriver.server(o), RptunOptions.defaults().withReadyCommand(false)
                .withReadyTimeout(Duration.ofMillis(waitMs)).withMailboxTimeout(Duration.ofMillis(500)))) {
            RpmsgDevice device = server.start();
            try (NuttxTty tty = NuttxTty.open(device, cpu)) {
                if (!tty.awaitBound(Duration.ofMillis(waitMs))) {
                    out.println("console: the proxy never announced " + NuttxTty.PREFIX + cpu);
                    return ExitCodes.FAILED;
                }
                out.println("console: attached to " + NuttxTty.PREFIX + cpu + " ('~.' on a line of its own leaves)");
                out.flush();
                Thread printer = Thread.ofPlatform().daemon().name("console-output").start(() -> copy(tty.input(), out));
                forward(System.in, tty.output());
                printer.interrupt();
            }
            return server.state() == RptunState.PEER_LOST ? ExitCodes.FAILED : ExitCodes.OK;
        }
    }

    /** The proxy's output to the terminal, as it arrives. */
    private static void copy(InputStream from, PrintWriter to) {
        byte[] buffer = new byte[1024];
        try {
            for (int n = from.read(buffer, 0, buffer.length); n >= 0; n = from.read(buffer, 0, buffer.length)) {
                to.print(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                to.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the console closed
        }
    }

    /** The terminal's lines to the proxy until '~.' or end of input. */
    private static void forward(InputStream in, OutputStream to) throws IOException {
        java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(in,
                java.nio.charset.StandardCharsets.UTF_8));
        for (String line = lines.readLine(); line != null && !line.equals("~."); line = lines.readLine()) {
            to.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            to.flush();
        }
    }
}
