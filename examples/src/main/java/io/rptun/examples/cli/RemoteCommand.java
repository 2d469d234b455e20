package io.rptun.examples.cli;

import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.sim.RemoteMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rptun remote}: the simulated remote over a host's file, or OpenAMP's echo remote. */
@Command(name = "remote", mixinStandardHelpOptions = true,
        description = {"Runs the remote side over FILE, which a host ('rptun host FILE') created; it waits for the host's",
                "layout, attaches, and runs until the host stops it (exit 0) or is lost (exit 1).",
                "Always answers NuttX's 'rpmsg-ping'; --echo and --sink add those services.",
                "With --openamp-linux it is OpenAMP's echo remote instead: it creates the demo's file and listens on its socket.",
                "With --nuttx-sim it is NuttX's simulator 'proxy': it attaches to a running server's --shm (default",
                "/dev/shm/server-proxy), answers 'rpmsg-ping' and serves the entropy devices."})
final class RemoteCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "FILE", description = "the host's shared file, e.g. /dev/shm/my-link")
    @Nullable Path file;

    @Option(names = "--echo", description = "serve 'rptun-echo': every message back to its sender")
    boolean echo;

    @Option(names = "--sink", description = "serve 'rptun-sink': take and count every message")
    boolean sink;

    @Option(names = "--busy-spin", description = "never sleep in the futex (lowest latency, burns a core)")
    boolean busySpin;

    @Option(names = "--liveness-ms", defaultValue = "1000", description = "report the host lost after this long without a heartbeat (default ${DEFAULT-VALUE})")
    long livenessMs;

    @Option(names = "--wait-ms", defaultValue = "60000", description = "how long to wait for the host's file and layout (default ${DEFAULT-VALUE})")
    long waitMs;

    @Option(names = "--openamp-linux", description = "be OpenAMP's Linux echo remote (creates --shm, listens on --socket)")
    boolean openAmp;

    @Option(names = "--nuttx-sim", description = "be NuttX's simulator proxy (attaches to --shm)")
    boolean nuttx;

    @Option(names = "--peer-pid", paramLabel = "PID", defaultValue = "0",
            description = "with --nuttx-sim: the NuttX server's pid (default: the other process mapping the file)")
    long peerPid;

    @Option(names = "--shm", description = "with --openamp-linux (default " + OpenAmpLinuxProfile.SHM_PATH
            + ") or --nuttx-sim (default /dev/shm/server-proxy)")
    @Nullable Path shm;

    @Option(names = "--socket", defaultValue = OpenAmpLinuxProfile.SOCKET_PATH, description = "with --openamp-linux (default ${DEFAULT-VALUE})")
    Path socket;

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>();
        if (openAmp && nuttx) {
            throw new IllegalArgumentException("--openamp-linux and --nuttx-sim exclude each other");
        }
        if (openAmp) {
            args.addAll(List.of("--openamp-linux", "--shm", shm != null ? shm.toString() : OpenAmpLinuxProfile.SHM_PATH,
                    "--socket", socket.toString()));
        } else if (nuttx) {
            args.add("--nuttx-sim");
            if (peerPid != 0) {
                args.addAll(List.of("--peer-pid", Long.toString(peerPid)));
            }
            if (shm != null) {
                args.addAll(List.of("--shm", shm.toString()));
            }
            if (echo) {
                args.add("--echo");
            }
        } else {
            if (file == null) {
                throw new IllegalArgumentException("FILE is required (or --openamp-linux)");
            }
            args.addAll(List.of("--file", file.toString()));
            if (echo) {
                args.add("--echo");
            }
            if (sink) {
                args.add("--sink");
            }
            if (busySpin) {
                args.add("--busy-spin");
            }
            args.addAll(List.of("--liveness-ms", Long.toString(livenessMs)));
        }
        args.addAll(List.of("--attach-timeout-ms", Long.toString(waitMs)));
        return RemoteMain.run(args.toArray(String[]::new));
    }
}
