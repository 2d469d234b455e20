package io.rptun.sim;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.nuttx.NuttxPing;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgListener;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated remote: an {@link Rptun} over {@link SimDriver#remote} with built-in services, in this
 * JVM (a thread) or in a child JVM ({@link RemoteMain}).
 * <ul>
 * <li>{@value #ECHO}: answers every message with the same bytes, to its sender.</li>
 * <li>{@value #SINK}: takes every message and counts it ({@link #sinkMessages()}).</li>
 * <li>{@value io.rptun.core.nuttx.NuttxPing#NAME}: NuttX's ping responder ({@link NuttxPing#responder}), always.</li>
 * <li>any {@link RemoteServices} of the user's.</li>
 * </ul>
 * Services are registered again on every session (after a reset the remote re-attaches by itself).
 */
public final class SimRemote implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SimRemote.class);
    /** The echo service's name. */
    public static final String ECHO = "rptun-echo";
    /** The sink service's name. */
    public static final String SINK = "rptun-sink";

    private final SimOptions options;
    private final boolean echo;
    private final boolean sink;
    private final List<RemoteServices> services;
    /** The remote's lifecycle, once its driver opened the host's file (or why it could not). */
    private final CompletableFuture<Rptun> rptun = new CompletableFuture<>();
    private final LongAdder sinkMessages = new LongAdder();
    private final LongAdder sinkBytes = new LongAdder();
    private final NuttxPing.Counters ping = new NuttxPing.Counters();
    private volatile boolean closed;
    private volatile @Nullable Thread starter;

    private SimRemote(SimOptions options, boolean echo, boolean sink, List<RemoteServices> services) {
        this.options = options;
        this.echo = echo;
        this.sink = sink;
        this.services = services;
    }

    /**
     * Starts a remote over the host's file in the background and returns at once: the remote waits (up to
     * {@code options.attachTimeout()}) for the file to appear and for a layout to attach to, so it may be
     * started before or after the host. {@link #awaitRunning} waits for it; {@link #rptun()} gives its
     * lifecycle once the file is open, or throws why it could not be opened.
     */
    public static SimRemote start(SimOptions options, boolean echo, boolean sink, List<RemoteServices> services) {
        SimRemote remote = new SimRemote(Objects.requireNonNull(options, "options"), echo, sink, List.copyOf(services));
        remote.starter = Thread.ofPlatform().daemon().name("sim-remote-start").start(remote::run);
        return remote;
    }

    /**
     * A {@link SimDriver.RemoteLauncher} that boots this kind of remote in this JVM after each layout: with it,
     * {@code SimDriver.host(options, SimRemote.inThisJvm(options, true, false, List.of()))} is a whole loopback
     * link.
     * The remote uses the host's options with the file the host made.
     */
    public static SimDriver.RemoteLauncher inThisJvm(SimOptions options, boolean echo, boolean sink,
            List<RemoteServices> services) {
        Objects.requireNonNull(options, "options");
        List<RemoteServices> copy = List.copyOf(services);
        return new SimDriver.RemoteLauncher() {
            private @Nullable SimRemote current;

            @Override
            public synchronized void launch(java.nio.file.Path file) {
                stop(Duration.ZERO);
                current = SimRemote.start(options.withPath(file), echo, sink, copy);
            }

            @Override
            public synchronized void stop(Duration grace) {
                SimRemote r = current;
                current = null;
                if (r != null) {
                    r.close();
                }
            }
        };
    }

    private void run() {
        Rptun r;
        try {
            SimDriver driver = SimDriver.remote(options);
            r = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(options.attachTimeout()
                    .plus(Duration.ofSeconds(10))));
        } catch (RuntimeException e) {
            rptun.completeExceptionally(e);
            if (!closed) {
                LOG.warn("simulated remote could not open {}: {}", options.path(), e.getMessage());
            }
            return;
        }
        r.addListener(e -> {
            if (e.to() == RptunState.RUNNING) {
                // Not on the serving thread that made the change: creating endpoints sends on the rings.
                Thread.ofPlatform().daemon().name("sim-remote-services").start(() -> register(echo, sink, services));
            }
        });
        rptun.complete(r);
        if (closed) {
            r.close();
            return;
        }
        try {
            r.start();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("simulated remote did not start: {}", e.getMessage());
            }
        }
    }

    private void register(boolean echo, boolean sink, List<RemoteServices> services) {
        try {
            RpmsgDevice device = rptun().device();
            device.createEndpoint(NuttxPing.NAME, NuttxPing.responder(ping));
            if (echo) {
                device.createEndpoint(ECHO, echoListener());
            }
            if (sink) {
                device.createEndpoint(SINK, (ep, msg) -> {
                    sinkMessages.increment();
                    sinkBytes.add(msg.length());
                });
            }
            for (RemoteServices s : services) {
                s.register(device);
            }
        } catch (RuntimeException e) {
            LOG.warn("simulated remote could not register its services: {}", e.getMessage());
        }
    }

    /** Answers each message to its sender with the same bytes. */
    public static RpmsgListener echoListener() {
        return (ep, msg) -> ep.sendTo(msg.src(), msg.payload());
    }

    /** Waits until the remote is RUNNING and returns its device. */
    public RpmsgDevice awaitRunning(Duration timeout) {
        return rptun().awaitRunning(timeout);
    }

    /**
     * The remote's lifecycle, waiting while its driver looks for the host's file.
     *
     * @throws SimException (or another typed exception) why the file could not be opened
     */
    public Rptun rptun() {
        try {
            return rptun.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Messages the sink took. */
    public long sinkMessages() {
        return sinkMessages.sum();
    }

    /** What the ping responder saw. */
    public NuttxPing.Counters pingCounters() {
        return ping;
    }

    /** Payload bytes the sink took. */
    public long sinkBytes() {
        return sinkBytes.sum();
    }

    /** Stops and detaches (or stops looking for the host's file); the host sees the remote close. */
    @Override
    public void close() {
        closed = true;
        Thread t = starter;
        if (t != null && !rptun.isDone()) {
            t.interrupt();
        }
        Rptun r = rptun.isCompletedExceptionally() ? null : rptun.getNow(null);
        if (r != null) {
            r.close();
        } else if (t != null && t != Thread.currentThread()) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Rptun late = rptun.isCompletedExceptionally() ? null : rptun.getNow(null);
            if (late != null) {
                late.close();
            }
        }
    }
}
