package io.rptun.test;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.RemoteServices;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A connected pair in one line, for tests (any framework; JUnit 5 users may prefer
 * {@link RptunLinkExtension}):
 *
 * <pre>{@code
 * try (TestLink link = TestLinks.simFile(RemoteSide.defaults())) {
 *     RpmsgEndpoint echo = link.hostDevice().createEndpoint("rptun-echo", (ep, msg) -> got.add(msg.asString()));
 *     ...
 * }
 * }</pre>
 * Each returns once both sides are up. Files are {@code /dev/shm/rptun-test-PID-N}, unique per link.
 */
public final class TestLinks {
    /** How long a link may take to come up. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestLinks() {
    }

    /** A link of {@code transport} with {@code remote}'s services. */
    public static TestLink of(Transport transport, RemoteSide remote) {
        return switch (Objects.requireNonNull(transport, "transport")) {
            case IN_PROCESS -> inProcess(remote);
            case SIM_FILE -> simFile(remote);
            case CHILD_JVM -> childJvm(remote);
        };
    }

    /** Both devices in this JVM over one memory segment (64-entry vrings, 512-byte buffers). */
    public static TestLink inProcess(RemoteSide remote) {
        RpmsgLoopback loopback = RpmsgLoopback.start(RpmsgLoopback.table(64, 512));
        try {
            RpmsgDevice device = loopback.remote();
            FaultService fault = new FaultService();
            register(device, remote.with(fault));
            return new TestLink(Transport.IN_PROCESS, null, loopback.host(), () -> device, null, null, fault,
                    loopback::memory, List.of(loopback));
        } catch (RuntimeException e) {
            loopback.close();
            throw e;
        }
    }

    /** A host {@code Rptun} over a fresh {@code /dev/shm} file, the remote in this JVM. */
    public static TestLink simFile(RemoteSide remote) {
        SimOptions options = SimOptions.defaults("unused").withPath(freshPath());
        AtomicReference<@Nullable SimRemote> current = new AtomicReference<>();
        FaultService fault = new FaultService();
        RemoteSide side = remote.with(fault);
        SimDriver.RemoteLauncher launcher = new SimDriver.RemoteLauncher() {
            @Override
            public void launch(Path file) {
                stop(Duration.ZERO);
                current.set(SimRemote.start(options.withPath(file), side.echo(), side.sink(), side.services()));
            }

            @Override
            public void stop(Duration grace) {
                SimRemote r = current.getAndSet(null);
                if (r != null) {
                    r.close();
                }
            }
        };
        Rptun host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults()
                .withReadyTimeout(START_TIMEOUT));
        Supplier<SimRemote> running = () -> {
            SimRemote r = current.get();
            if (r == null) {
                throw new IllegalStateException("the in-JVM remote is not running (the link was stopped or closed)");
            }
            return r;
        };
        return started(Transport.SIM_FILE, host, options.path(), null, fault,
                () -> running.get().awaitRunning(START_TIMEOUT),
                () -> ((SimDriver) running.get().rptun().driver()).file().segment(),
                List.of(() -> launcher.stop(Duration.ZERO)));
    }

    /** A host {@code Rptun} over a fresh {@code /dev/shm} file, the remote in a second JVM. */
    public static TestLink childJvm(RemoteSide remote) {
        List<String> args = new ArrayList<>();
        if (remote.echo()) {
            args.add("--echo");
        }
        if (remote.sink()) {
            args.add("--sink");
        }
        for (RemoteServices s : remote.services()) {
            args.addAll(List.of("--service-class", s.getClass().getName()));
        }
        ChildJvmLauncher launcher = ChildJvmLauncher.of(args, ProcessBuilder.Redirect.DISCARD);
        SimOptions options = SimOptions.defaults("unused").withPath(freshPath());
        Rptun host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults()
                .withReadyTimeout(START_TIMEOUT));
        return started(Transport.CHILD_JVM, host, options.path(), launcher, null, () -> {
            throw new IllegalStateException("a CHILD_JVM link's remote device lives in the other process");
        }, null, List.of(launcher::kill));
    }

    private static TestLink started(Transport transport, Rptun host, Path file, @Nullable ChildJvmLauncher child,
            @Nullable FaultService fault, Supplier<RpmsgDevice> remote, @Nullable Supplier<MemorySegment> remoteMemory,
            List<AutoCloseable> extra) {
        List<AutoCloseable> closers = new ArrayList<>(extra);
        closers.add(host); // closed first: stops the remote through the mailbox, then the rest
        try {
            RpmsgDevice device = host.start();
            Process p = child == null ? null : child.process();
            return new TestLink(transport, host, device, remote, file, p, fault, remoteMemory, closers);
        } catch (RuntimeException e) {
            for (AutoCloseable c : closers.reversed()) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static Path freshPath() {
        return SimFile.shmPath("rptun-test-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet());
    }

    private static void register(RpmsgDevice device, RemoteSide remote) {
        if (remote.echo()) {
            device.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
        }
        if (remote.sink()) {
            device.createEndpoint(SimRemote.SINK, (ep, msg) -> {
            });
        }
        for (RemoteServices s : remote.services()) {
            s.register(device);
        }
    }
}
