package io.rptun.examples.cli;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.socket.RpmsgServerSocket;
import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketException;
import io.rptun.core.socket.SocketOptions;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rptun socket connect CPU NAME} and {@code rptun socket listen NAME}: an rpmsg stream socket (NuttX's
 * {@code AF_RPMSG}) between stdin/stdout and the other side, like {@code nc}. The link is a simulator file
 * (this process its host with {@code --host FILE}, or its remote with {@code --remote FILE}) or NuttX's
 * simulator ({@code --nuttx-sim}: this process is NuttX's server, the proxy runs {@code rpsock_server} or
 * {@code rpsock_client}).
 */
@Command(name = "socket", mixinStandardHelpOptions = true,
        description = {"An rpmsg socket (NuttX's AF_RPMSG stream) between stdin/stdout and the other side, like nc.",
                "stdin goes to the peer (its end shuts our output down); what the peer sends goes to stdout until it ends.",
                "Two shells: 'rptun socket listen NAME --host /dev/shm/s' and 'rptun socket connect any NAME --remote /dev/shm/s'.",
                "Against NuttX's simulator: 'rptun socket connect proxy NAME --nuttx-sim' with 'rpsock_server stream block NAME'",
                "running on the proxy."},
        subcommands = {SocketCommand.Connect.class, SocketCommand.Listen.class})
final class SocketCommand {
    /** Where stdin comes from, for commands run on this thread (tests set it; else System.in). */
    static final ThreadLocal<@Nullable InputStream> STDIN = new ThreadLocal<>();
    /** Where the peer's bytes go, for commands run on this thread (tests set it; else System.out). */
    static final ThreadLocal<@Nullable OutputStream> STDOUT = new ThreadLocal<>();

    /** Which link, shared by both subcommands. */
    static final class Link {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        @Option(names = "--cpu", paramLabel = "NAME",
                description = "with --nuttx-sim: the proxy's cpu name (default proxy)")
        @Nullable String cpu;

        @Option(names = "--wait-ms", defaultValue = "60000", description = "how long to wait for the link and the peer (default ${DEFAULT-VALUE})")
        long waitMs;

        @Option(names = "--window", defaultValue = "65536",
                description = "our receive window in bytes, sent in our SYNC (NuttX's default is 1024; default ${DEFAULT-VALUE})")
        int window;

        static final class Which {
            @Option(names = "--host", paramLabel = "FILE", description = "be the host: create FILE")
            @Nullable Path host;

            @Option(names = "--remote", paramLabel = "FILE", description = "be the remote of the host that created FILE")
            @Nullable Path remote;

            @Option(names = "--nuttx-sim", description = "be NuttX's simulator server (/dev/shm/server-proxy); the proxy is the peer")
            boolean nuttx;
        }

        Rptun start() {
            Duration wait = Duration.ofMillis(waitMs);
            RptunDriver driver;
            RptunOptions options = RptunOptions.defaults().withReadyTimeout(wait);
            if (which.nuttx) {
                NuttxSimOptions o = NuttxSimOptions.defaults().withAttachTimeout(wait);
                o = o.withNames(o.hostName(), cpu != null ? cpu : o.remoteName());
                driver = NuttxSimDriver.server(o);
                options = options.withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(500));
            } else if (which.host != null) {
                driver = SimDriver.host(SimOptions.defaults("host").withPath(which.host).withIdle(IdleStrategy.backoff()),
                        null);
            } else {
                driver = SimDriver.remote(SimOptions.defaults("remote").withPath(requireNonNull(which.remote))
                        .withAttachTimeout(wait));
            }
            Rptun rptun = Rptun.create(driver, options);
            try {
                rptun.start();
                return rptun;
            } catch (RuntimeException e) {
                rptun.close();
                throw e;
            }
        }

        SocketOptions options() {
            return SocketOptions.stream().withReceiveBuffer(window);
        }
    }

    private static Path requireNonNull(@Nullable Path p) {
        if (p == null) {
            throw new IllegalArgumentException("--host, --remote or --nuttx-sim");
        }
        return p;
    }

    @Command(name = "connect", mixinStandardHelpOptions = true,
            description = "Connects to NAME on the other side (CPU: its cpu name, or 'any'), then pipes stdin/stdout.")
    static final class Connect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Link link = new Link();

        @Parameters(index = "0", paramLabel = "CPU", description = "the peer's cpu name, or 'any'")
        String cpu = "any";

        @Parameters(index = "1", paramLabel = "NAME", description = "the socket name (NuttX's rp_name)")
        String name = "";

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter err = spec.commandLine().getErr();
            try (Rptun rptun = link.start()) {
                RpmsgDevice device = rptun.device();
                String remoteCpu = device.remoteCpuName();
                if (!cpu.equals("any") && !remoteCpu.isEmpty() && !remoteCpu.equals(cpu)) {
                    throw new IllegalArgumentException("the other side is cpu '" + remoteCpu + "', not '" + cpu + "'");
                }
                try (RpmsgSocket socket = RpmsgSocket.connect(device, name, link.options(),
                        Duration.ofMillis(link.waitMs))) {
                    err.println("socket: connected to '" + name + "' as " + socket.endpointName() + " (peer window "
                            + socket.peerWindow() + ")");
                    err.flush();
                    return pipe(socket);
                }
            }
        }
    }

    @Command(name = "listen", mixinStandardHelpOptions = true,
            description = "Listens on NAME, accepts one connection, then pipes stdin/stdout.")
    static final class Listen implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Link link = new Link();

        @Parameters(index = "0", paramLabel = "NAME", description = "the socket name (NuttX's rp_name)")
        String name = "";

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter err = spec.commandLine().getErr();
            try (Rptun rptun = link.start();
                    RpmsgServerSocket listener = RpmsgServerSocket.listen(List.of(rptun.device()), "", name,
                            link.options())) {
                err.println("socket: listening on '" + name + "' (" + listener.endpointPrefix() + "*)");
                err.flush();
                RpmsgSocket socket = listener.accept(Duration.ofMillis(link.waitMs));
                if (socket == null) {
                    err.println("socket: nobody connected within " + link.waitMs + " ms");
                    return ExitCodes.FAILED;
                }
                try (socket) {
                    err.println("socket: accepted " + socket.endpointName());
                    err.flush();
                    return pipe(socket);
                }
            }
        }
    }

    /** How long {@link #pipe} waits for the peer to acknowledge the last bytes before the link may close. */
    private static final Duration ACKNOWLEDGED_WAIT = Duration.ofSeconds(2);

    /**
     * stdin to the socket on a daemon thread (its end shuts our output), the socket to stdout here; returns
     * once both directions ended (or the connection is gone) and the peer acknowledged what we sent (or
     * {@link #ACKNOWLEDGED_WAIT} passed).
     */
    static int pipe(RpmsgSocket socket) throws InterruptedException {
        InputStream fromUser = STDIN.get() != null ? STDIN.get() : System.in;
        OutputStream out = STDOUT.get() != null ? STDOUT.get() : System.out;
        Thread up = Thread.ofPlatform().daemon().name("socket-stdin").start(() -> {
            try (InputStream in = fromUser; OutputStream toPeer = socket.outputStream()) {
                in.transferTo(toPeer);
            } catch (IOException | SocketException e) {
                // The peer went, or stdin failed: the reading side below ends too.
            }
        });
        try {
            socket.inputStream().transferTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The peer's end of stream may be a half-close: what stdin still has goes on to it, as nc does. Wait
        // for the upload while the connection stands (a gone connection fails the pump's writes and ends it);
        // returning earlier closed the link under an upload still on its way.
        while (up.isAlive() && socket.isConnected()) {
            up.join(Duration.ofMillis(100));
        }
        up.join(Duration.ofMillis(200));
        // What we sent may still be in the rings: closing the link now would lose it (the peer would see its
        // input end early). An rptun peer says when it has read everything; NuttX may not, hence the bound.
        socket.awaitAcknowledged(ACKNOWLEDGED_WAIT);
        return ExitCodes.OK;
    }
}
