package io.rptun.sim;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.nuttx.NuttxPing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The simulated remote as a program, for a second JVM:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... io.rptun.sim.RemoteMain --file /dev/shm/NAME [--echo] [--sink]
 *      [--service-class com.example.MyServices] [--liveness-ms 1000] [--attach-timeout-ms 10000] [--busy-spin]
 * java ... io.rptun.sim.RemoteMain --openamp-linux [--shm /dev/shm/openamp.shm] [--socket /tmp/openamp.event.0]
 * java ... io.rptun.sim.RemoteMain --nuttx-sim [--shm /dev/shm/server-proxy] [--echo] [--peer-pid PID]
 * </pre>
 * It prints {@code RPTUN-REMOTE RUNNING ...} once up, and exits with the command line's codes: 0 when the
 * host stops it, 1 when the link fails (the host is lost, a timeout), 2 for bad input (a missing, foreign,
 * stale or busy file or socket path; a bad argument), each with a one-line error and no stack trace; 130
 * when interrupted. Files it created are removed on every exit but SIGKILL. In OpenAMP mode it is the
 * echo remote of OpenAMP's demo: it answers on {@value OpenAmpLinuxProfile#ENDPOINT_NAME} and stops on the
 * shutdown magic or on the host's NS destroy.
 */
public final class RemoteMain {
    private static final Set<RptunState> FINAL = EnumSet.of(RptunState.OFFLINE, RptunState.PEER_LOST,
            RptunState.PANICKED, RptunState.FAILED, RptunState.CLOSED);

    private RemoteMain() {
    }

    /** Exit code: the host stopped it. */
    public static final int EXIT_OK = 0;
    /** Exit code: the link failed (the host was lost, a timeout passed). */
    public static final int EXIT_FAILED = 1;
    /** Exit code: bad input (an argument, or a path that is missing, foreign, stale, busy or malformed). */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code: interrupted. */
    public static final int EXIT_INTERRUPTED = 130;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException | io.rptun.core.RptunException e) {
            System.err.println("rptun remote: " + e.getMessage());
            code = exitCodeOf(e);
        }
        System.out.flush();
        System.exit(code);
    }

    /**
     * The exit code for a failure: bad input (an argument, a {@link SimException} that
     * {@linkplain SimException#isBadInput is bad input}, or one caused by it), interrupted, or failed.
     */
    public static int exitCodeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof io.rptun.core.rsc.ResourceTableException
                    || (t instanceof SimException s && s.isBadInput())) {
                return EXIT_BAD_INPUT;
            }
            if (t instanceof SimException s && s.reason() == SimException.Reason.INTERRUPTED) {
                return EXIT_INTERRUPTED;
            }
        }
        return EXIT_FAILED;
    }

    /** Runs until the host stops or is lost; returns the exit code. */
    public static int run(String[] args) {
        Path file = null;
        Path shm = null;
        boolean nuttx = false;
        long peerPid = 0;
        Path socket = Path.of(OpenAmpLinuxProfile.SOCKET_PATH);
        boolean echo = false;
        boolean sink = false;
        boolean openAmp = false;
        boolean busySpin = false;
        long livenessMs = 1000;
        long attachMs = 10_000;
        List<RemoteServices> services = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(value(args, ++i, "--file"));
                case "--shm" -> shm = Path.of(value(args, ++i, "--shm"));
                case "--socket" -> socket = Path.of(value(args, ++i, "--socket"));
                case "--echo" -> echo = true;
                case "--sink" -> sink = true;
                case "--busy-spin" -> busySpin = true;
                case "--openamp-linux" -> openAmp = true;
                case "--nuttx-sim" -> nuttx = true;
                case "--peer-pid" -> peerPid = Long.parseLong(value(args, ++i, "--peer-pid"));
                case "--liveness-ms" -> livenessMs = Long.parseLong(value(args, ++i, "--liveness-ms"));
                case "--attach-timeout-ms" -> attachMs = Long.parseLong(value(args, ++i, "--attach-timeout-ms"));
                case "--service-class" -> services.add(load(value(args, ++i, "--service-class")));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (openAmp) {
            return runOpenAmp(shm != null ? shm : Path.of(OpenAmpLinuxProfile.SHM_PATH), socket,
                    Duration.ofMillis(attachMs));
        }
        if (nuttx) {
            NuttxSimOptions o = NuttxSimOptions.defaults().withAttachTimeout(Duration.ofMillis(attachMs));
            return runNuttx(o.withPath(shm != null ? shm : o.path()).withPeerPid(peerPid), echo);
        }
        if (file == null) {
            throw new IllegalArgumentException("--file is required (or --openamp-linux)");
        }
        SimOptions options = SimOptions.defaults("unused").withPath(file).withLiveness(Duration.ofMillis(livenessMs))
                .withAttachTimeout(Duration.ofMillis(attachMs))
                .withIdle(busySpin ? IdleStrategy.busySpin() : IdleStrategy.backoff());
        try (SimRemote remote = SimRemote.start(options, echo, sink, services)) {
            return awaitEnd(remote.rptun(), "pid " + ProcessHandle.current().pid() + " over " + file);
        }
    }

    private static int awaitEnd(Rptun rptun, String what) {
        CountDownLatch end = new CountDownLatch(1);
        AtomicReference<RptunState> last = new AtomicReference<>(RptunState.OFFLINE);
        rptun.addListener(e -> {
            if (e.to() == RptunState.RUNNING) {
                System.out.println("RPTUN-REMOTE RUNNING " + what + " (session " + rptun.generation() + ")");
                System.out.flush();
            } else if (FINAL.contains(e.to()) && e.from() != RptunState.OFFLINE) {
                System.out.println("RPTUN-REMOTE " + e.to() + ": " + e.why());
                last.set(e.to());
                end.countDown();
            }
        });
        if (rptun.state() == RptunState.RUNNING) {
            System.out.println("RPTUN-REMOTE RUNNING " + what);
        }
        try {
            end.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return switch (last.get()) {
            case OFFLINE, CLOSED -> EXIT_OK;
            default -> EXIT_FAILED;
        };
    }

    private static int runOpenAmp(Path shm, Path socket, Duration acceptTimeout) {
        OpenAmpLinuxDriver driver = OpenAmpLinuxDriver.remote(shm, socket, acceptTimeout, true);
        try (Rptun rptun = Rptun.create(driver, RptunOptions.defaults().withReadyCommand(false)
                .withReadyTimeout(acceptTimeout.plusSeconds(10)))) {
            System.out.println("RPTUN-REMOTE listening on " + socket + " over " + shm);
            System.out.flush();
            RpmsgDevice device = rptun.start();
            CountDownLatch done = new CountDownLatch(1);
            RpmsgEndpoint ep = device.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME, new io.rptun.core.rpmsg.RpmsgListener() {
                @Override
                public void onMessage(RpmsgEndpoint e, io.rptun.core.rpmsg.RpmsgMessage msg) {
                    if (msg.length() >= 4 && msg.getIntLE(0) == OpenAmpLinuxProfile.SHUTDOWN_MAGIC) {
                        done.countDown();
                        return;
                    }
                    e.sendTo(msg.src(), msg.payload());
                }

                @Override
                public void onUnbind(RpmsgEndpoint e) {
                    done.countDown();
                }
            });
            System.out.println("RPTUN-REMOTE RUNNING openamp echo at 0x" + Integer.toHexString(ep.address()));
            System.out.flush();
            rptun.addListener(e -> {
                if (FINAL.contains(e.to())) {
                    done.countDown();
                }
            });
            done.await();
            System.out.println("RPTUN-REMOTE done: " + device.stats());
            return EXIT_OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_INTERRUPTED;
        }
    }

    /** NuttX's simulator proxy: attaches to a running server, answers ping (and echo), serves entropy. */
    private static int runNuttx(NuttxSimOptions options, boolean echo) {
        NuttxSimDriver driver = NuttxSimDriver.proxy(options);
        try (Rptun rptun = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(options.attachTimeout())
                .withReadyCommand(false))) {
            RpmsgDevice device = rptun.start();
            device.createEndpoint(NuttxPing.NAME, NuttxPing.responder(new NuttxPing.Counters()));
            if (echo) {
                device.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
            }
            return awaitEnd(rptun, "NuttX proxy (pid " + ProcessHandle.current().pid() + ") over " + options.path());
        }
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static RemoteServices load(String className) {
        try {
            Class<?> c = Class.forName(className);
            return (RemoteServices) c.getConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("--service-class " + className + ": " + e, e);
        }
    }
}
