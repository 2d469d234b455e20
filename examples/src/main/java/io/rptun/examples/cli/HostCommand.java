package io.rptun.examples.cli;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.nuttx.NuttxSyslogServer;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.sim.OpenAmpLinuxDriver;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rptun host}: the master side over a file, printing what the remote announces. */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = {"Runs the host (master) side: creates FILE (mode 0600), lays out the table, vrings and heap, and",
                "waits for a remote ('rptun remote FILE --echo' in another shell). Prints state changes and the services",
                "the remote announces. With --send SERVICE it sends each line of stdin to SERVICE and prints the replies;",
                "it ends on end of input, when the remote goes, or on Ctrl-C, and removes FILE.",
                "With --openamp-linux it is the host of OpenAMP's Linux demo instead (connects to --socket).",
                "With --nuttx-sim it is NuttX's simulator 'server' (creates --shm, default /dev/shm/server-proxy) and",
                "waits for NuttX's 'proxy' (or 'rptun remote --nuttx-sim') to boot."})
final class HostCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "the shared file to create, e.g. /dev/shm/my-link")
    @Nullable Path file;

    @Option(names = "--region-size", paramLabel = "BYTES",
            description = "bytes behind the sim header (default 1048576, or what --vring-num and --buffer-size need)")
    @Nullable Long regionSize;

    @Mixin
    RingOptions rings = new RingOptions();

    @Option(names = "--busy-spin", description = "never sleep in the futex (lowest latency, burns a core)")
    boolean busySpin;

    @Option(names = "--wait-ms", defaultValue = "60000", description = "how long to wait for a remote (default ${DEFAULT-VALUE})")
    long waitMs;

    @Option(names = "--send", paramLabel = "SERVICE", description = "send stdin's lines to SERVICE and print the replies")
    @Nullable String send;

    @Option(names = "--openamp-linux", description = "be the host of OpenAMP's Linux demo (--shm, --socket)")
    boolean openAmp;

    @Option(names = "--nuttx-sim", description = "be NuttX's simulator server (--shm, --cpu)")
    boolean nuttx;

    @Option(names = "--peer-pid", paramLabel = "PID", defaultValue = "0",
            description = "with --nuttx-sim: the NuttX peer's pid (default: the other process mapping the file)")
    long peerPid;

    @Option(names = "--cpu", paramLabel = "NAME", description = "with --nuttx-sim: the proxy's cpu name (default proxy)")
    @Nullable String cpu;

    @Option(names = "--shm", description = "with --openamp-linux (default " + OpenAmpLinuxProfile.SHM_PATH
            + ") or --nuttx-sim (default " + NuttxSimLayout.DEFAULT_PATH + ")")
    @Nullable Path shm;

    @Option(names = "--socket", defaultValue = OpenAmpLinuxProfile.SOCKET_PATH, description = "with --openamp-linux (default ${DEFAULT-VALUE})")
    Path socket;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RptunDriver driver;
        RptunOptions options = RptunOptions.defaults().withReadyTimeout(Duration.ofMillis(waitMs));
        if (openAmp && nuttx) {
            throw new IllegalArgumentException("--openamp-linux and --nuttx-sim exclude each other");
        }
        if (openAmp || nuttx) {
            rings.refuseAgainst(openAmp ? "OpenAMP's demo" : "NuttX's simulator", regionSize != null);
        }
        if (openAmp) {
            driver = OpenAmpLinuxDriver.host(shm != null ? shm : Path.of(OpenAmpLinuxProfile.SHM_PATH), socket,
                    Duration.ofMillis(waitMs));
            options = options.withReadyCommand(false);
        } else if (nuttx) {
            NuttxSimOptions o = NuttxSimOptions.defaults().withAttachTimeout(Duration.ofMillis(waitMs));
            o = o.withPath(shm != null ? shm : o.path()).withNames(o.hostName(), cpu != null ? cpu : o.remoteName())
                    .withPeerPid(peerPid);
            driver = NuttxSimDriver.server(o);
            options = options.withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(500));
            out.println("host: " + o.path() + " laid out as NuttX's server; waiting up to " + waitMs + " ms for its "
                    + o.remoteName() + " (NuttX's proxy, or 'rptun remote --nuttx-sim')");
            out.flush();
        } else {
            if (file == null) {
                throw new IllegalArgumentException("FILE is required (or --openamp-linux)");
            }
            SimOptions o = rings.apply(SimOptions.defaults("host").withPath(file), regionSize)
                    .withIdle(busySpin ? IdleStrategy.busySpin() : IdleStrategy.backoff());
            driver = SimDriver.host(o, null);
            out.println("host: " + file + " laid out (vrings of " + rings.num() + " entries, " + rings.bufferSize()
                    + "-byte buffers, a region of " + o.regionSize() + " bytes); waiting up to " + waitMs
                    + " ms for a remote (rptun remote " + file + " --echo)");
            out.flush();
        }
        CountDownLatch over = new CountDownLatch(1);
        try (Rptun host = Rptun.create(driver, options)) {
            Thread onCtrlC = new Thread(host::close, "rptun-host-cleanup");
            Runtime.getRuntime().addShutdownHook(onCtrlC);
            host.addListener(e -> {
                out.println("host: " + e.from() + " -> " + e.to() + " (" + e.why() + ")");
                out.flush();
                if (e.to() != RptunState.RUNNING && e.to() != RptunState.STARTING) {
                    over.countDown();
                }
            });
            RpmsgDevice device = host.start();
            if (nuttx) {
                // What NuttX's server runs for its proxy: a ping responder and the syslog server.
                device.createEndpoint(NuttxPing.NAME, NuttxPing.responder(new NuttxPing.Counters()));
                NuttxSyslogServer.open(device, line -> {
                    out.println("proxy log: " + line);
                    out.flush();
                });
            }
            device.addServiceListener(new RpmsgServiceListener() {
                @Override
                public void serviceCreated(String name, int address) {
                    out.printf("host: the remote announced '%s' at 0x%x%n", name, address);
                    out.flush();
                }

                @Override
                public void serviceDestroyed(String name, int address) {
                    out.printf("host: the remote destroyed '%s' at 0x%x%n", name, address);
                    out.flush();
                }
            }).forEach((name, address) -> out.printf("host: the remote offers '%s' at 0x%x%n", name, address));
            out.flush();
            if (send != null) {
                RpmsgEndpoint ep = device.createEndpoint(send, (e, msg) -> {
                    out.println("reply: " + msg.asString());
                    out.flush();
                });
                if (!ep.awaitBound(Duration.ofMillis(waitMs))) {
                    out.println("host: the remote has no service '" + send + "'");
                    return ExitCodes.FAILED;
                }
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    ep.send(line.getBytes(StandardCharsets.UTF_8));
                }
                out.println("host: end of input; stopping");
            } else {
                over.await();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C
            }
            return host.state() == RptunState.PEER_LOST ? ExitCodes.FAILED : ExitCodes.OK;
        }
    }
}
