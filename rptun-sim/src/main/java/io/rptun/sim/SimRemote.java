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
import java.util.concurrent.atomic.LongAdder;
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

    private final Rptun rptun;
    private final LongAdder sinkMessages = new LongAdder();
    private final LongAdder sinkBytes = new LongAdder();
    private final NuttxPing.Counters ping = new NuttxPing.Counters();

    private SimRemote(SimOptions options, boolean echo, boolean sink, List<RemoteServices> services) {
        SimDriver driver = SimDriver.remote(options);
        this.rptun = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(options.attachTimeout()
                .plus(Duration.ofSeconds(10))));
        rptun.addListener(e -> {
            if (e.to() == RptunState.RUNNING) {
                // Not on the serving thread that made the change: creating endpoints sends on the rings.
                Thread.ofPlatform().daemon().name("sim-remote-services").start(() -> register(echo, sink, services));
            }
        });
    }

    /**
     * Opens the host's file and starts attaching in the background; {@link #awaitRunning} waits for it.
     *
     * @throws SimException when the file is missing, foreign or of the wrong size
     */
    public static SimRemote start(SimOptions options, boolean echo, boolean sink, List<RemoteServices> services) {
        SimRemote remote = new SimRemote(Objects.requireNonNull(options, "options"), echo, sink, List.copyOf(services));
        Thread.ofPlatform().daemon().name("sim-remote-start").start(() -> {
            try {
                remote.rptun.start();
            } catch (RuntimeException e) {
                LOG.warn("simulated remote did not start: {}", e.getMessage());
            }
        });
        return remote;
    }

    private void register(boolean echo, boolean sink, List<RemoteServices> services) {
        try {
            RpmsgDevice device = rptun.device();
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
        return rptun.awaitRunning(timeout);
    }

    /** The remote's lifecycle. */
    public Rptun rptun() {
        return rptun;
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

    /** Stops and detaches; the host sees the remote close. */
    @Override
    public void close() {
        rptun.close();
    }
}
