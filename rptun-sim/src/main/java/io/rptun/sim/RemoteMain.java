package io.rptun.sim;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
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
 * </pre>
 * It prints {@code RPTUN-REMOTE RUNNING ...} once up, and exits when the host stops it (0), when the host
 * is lost (3), or when it cannot start (2: a one-line error, no stack trace). In OpenAMP mode it is the
 * echo remote of OpenAMP's demo: it answers on {@value OpenAmpLinuxProfile#ENDPOINT_NAME} and stops on the
 * shutdown magic or on the host's NS destroy.
 */
public final class RemoteMain {
    private static final Set<RptunState> FINAL = EnumSet.of(RptunState.OFFLINE, RptunState.PEER_LOST,
            RptunState.PANICKED, RptunState.FAILED, RptunState.CLOSED);

    private RemoteMain() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException | io.rptun.core.RptunException e) {
            System.err.println("rptun remote: " + e.getMessage());
            code = 2;
        }
        System.out.flush();
        System.exit(code);
    }

    /** Runs until the host stops or is lost; returns the exit code. */
    public static int run(String[] args) {
        Path file = null;
        Path shm = Path.of(OpenAmpLinuxProfile.SHM_PATH);
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
                case "--liveness-ms" -> livenessMs = Long.parseLong(value(args, ++i, "--liveness-ms"));
                case "--attach-timeout-ms" -> attachMs = Long.parseLong(value(args, ++i, "--attach-timeout-ms"));
                case "--service-class" -> services.add(load(value(args, ++i, "--service-class")));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (openAmp) {
            return runOpenAmp(shm, socket, Duration.ofMillis(attachMs));
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
            case OFFLINE, CLOSED -> 0;
            case PEER_LOST -> 3;
            default -> 1;
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
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
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
