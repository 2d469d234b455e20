package io.rptun.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunEvent;
import io.rptun.core.lifecycle.RptunLifecycleException;
import io.rptun.core.lifecycle.RptunListener;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one RPTUN link, tagged {@code link}: its own, and those of {@link RpmsgDeviceMetrics} for
 * the device of whichever session is running (the device's counters go on across a reset: what the old
 * session counted stays in them).
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>what</th></tr>
 * <tr><td>{@value #STATE}</td><td>gauge, tag {@code state}</td><td>1 for the state the link is in, 0 for the
 *     others (one gauge per {@link RptunState}, lowercase)</td></tr>
 * <tr><td>{@value #RESTARTS}</td><td>counter</td><td>sessions started after the first one (a reset, a stop and
 *     start)</td></tr>
 * <tr><td>{@value #PEER_LOST}</td><td>counter</td><td>times the link found its peer lost (since this binder was
 *     made)</td></tr>
 * </table>
 *
 * <p>It listens to the link (for lost peers, and to see each session's device as it starts): {@link #close()}
 * stops that. The meters stay registered until the registry removes them.
 */
public final class RptunMetrics implements MeterBinder, AutoCloseable {
    public static final String STATE = "rptun.link.state";
    public static final String RESTARTS = "rptun.link.restarts";
    public static final String PEER_LOST = "rptun.link.peer.lost";
    /** The tag of {@value #STATE}. */
    public static final String STATE_TAG = "state";

    private final Rptun rptun;
    private final Tags tags;
    private final RpmsgDeviceMetrics device;
    private final AtomicLong peerLost = new AtomicLong();
    private final RptunListener listener = this::onStateChange;

    /** The meters of {@code rptun}, tagged {@code link=link}. */
    public RptunMetrics(Rptun rptun, String link) {
        this(rptun, link, Tags.empty());
    }

    /** The same with {@code extraTags} on every meter. */
    public RptunMetrics(Rptun rptun, String link, Iterable<Tag> extraTags) {
        this.rptun = Objects.requireNonNull(rptun, "rptun");
        this.tags = Tags.of(RpmsgDeviceMetrics.LINK_TAG, Objects.requireNonNull(link, "link")).and(extraTags);
        this.device = new RpmsgDeviceMetrics(rptun, () -> currentDevice(rptun), link, extraTags);
        rptun.addListener(listener);
        device.observe();
    }

    private static @Nullable RpmsgDevice currentDevice(Rptun rptun) {
        if (rptun.state() != RptunState.RUNNING) {
            return null;
        }
        try {
            return rptun.device();
        } catch (RptunLifecycleException e) {
            return null; // it left RUNNING meanwhile
        }
    }

    private void onStateChange(RptunEvent event) {
        if (event.to() == RptunState.PEER_LOST) {
            peerLost.incrementAndGet();
        }
        if (event.to() == RptunState.RUNNING) {
            device.observe(); // a session as short as one scrape interval is still counted
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (RptunState s : RptunState.values()) {
            Gauge.builder(STATE, rptun, r -> r.state() == s ? 1 : 0)
                    .description("1 for the state the RPTUN link is in, 0 for the others")
                    .tags(tags).tag(STATE_TAG, s.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        FunctionCounter.builder(RESTARTS, rptun, r -> Math.max(0, r.generation() - 1))
                .description("sessions the RPTUN link started after its first one (resets, stop and start)")
                .baseUnit("sessions").tags(tags).register(registry);
        AtomicLong lost = peerLost;
        FunctionCounter.builder(PEER_LOST, rptun, r -> lost.get())
                .description("times the RPTUN link found its peer lost")
                .baseUnit("events").tags(tags).register(registry);
        device.bindTo(registry);
    }

    /** Stops listening to the link (the meters stay, and keep reading its state and generation). */
    @Override
    public void close() {
        rptun.removeListener(listener);
    }
}
