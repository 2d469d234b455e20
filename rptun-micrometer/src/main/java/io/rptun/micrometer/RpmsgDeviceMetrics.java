package io.rptun.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one rpmsg device ({@link RpmsgDevice#stats()} and its buffer counts), tagged {@code link}:
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>base unit</th><th>what</th></tr>
 * <tr><td>{@value #SENT}</td><td>counter</td><td>messages</td><td>handed to the TX ring (name service included)</td></tr>
 * <tr><td>{@value #RECEIVED}</td><td>counter</td><td>messages</td><td>taken from the RX ring (name service included)</td></tr>
 * <tr><td>{@value #DROPPED}</td><td>counter, tag {@code reason}</td><td>messages</td><td>inbound messages dropped and
 *     listener failures, one counter per reason the core drops for ({@link #DROP_REASONS})</td></tr>
 * <tr><td>{@value #BYTES_SENT}</td><td>counter</td><td>bytes</td><td>payload bytes sent (headers not counted)</td></tr>
 * <tr><td>{@value #BYTES_RECEIVED}</td><td>counter</td><td>bytes</td><td>payload bytes received (headers not
 *     counted)</td></tr>
 * <tr><td>{@value #KICKS_SENT}</td><td>counter</td><td>kicks</td><td>notifications this side sent the peer</td></tr>
 * <tr><td>{@value #KICKS_RECEIVED}</td><td>counter</td><td>kicks</td><td>times the serving loop was woken by the
 *     peer's notification (kicks that arrive while it is awake count once)</td></tr>
 * <tr><td>{@value #TX_PUBLICATIONS}</td><td>counter</td><td>publications</td><td>index stores on the TX ring, each
 *     publishing a batch: {@value #SENT} over this is the mean batch</td></tr>
 * <tr><td>{@value #TX_FREE}</td><td>gauge</td><td>buffers</td><td>TX buffers free now</td></tr>
 * <tr><td>{@value #TX_ALLOCATED}</td><td>gauge</td><td>buffers</td><td>TX buffers the host carved so far (0 on a
 *     remote)</td></tr>
 * <tr><td>{@value #RX_BUFFERS}</td><td>gauge</td><td>buffers</td><td>descriptors of the receive ring</td></tr>
 * <tr><td>{@value #RX_HELD}</td><td>gauge</td><td>buffers</td><td>RX buffers the application holds now (kept off the
 *     ring)</td></tr>
 * <tr><td>{@value #ENDPOINTS}</td><td>gauge</td><td>endpoints</td><td>live endpoints</td></tr>
 * </table>
 *
 * <p>Counters are {@link FunctionCounter}s over the core's own counters (racy reads while traffic runs, never
 * counted twice); gauges read the device when the registry asks, and are NaN while a link has no session.
 * Binding costs nothing on the message path.
 */
public final class RpmsgDeviceMetrics implements MeterBinder {
    public static final String SENT = "rpmsg.messages.sent";
    public static final String RECEIVED = "rpmsg.messages.received";
    public static final String DROPPED = "rpmsg.messages.dropped";
    public static final String BYTES_SENT = "rpmsg.bytes.sent";
    public static final String BYTES_RECEIVED = "rpmsg.bytes.received";
    public static final String KICKS_SENT = "rpmsg.kicks.sent";
    public static final String KICKS_RECEIVED = "rpmsg.kicks.received";
    public static final String TX_PUBLICATIONS = "rpmsg.tx.publications";
    public static final String TX_FREE = "rpmsg.tx.buffers.free";
    public static final String TX_ALLOCATED = "rpmsg.tx.buffers.allocated";
    public static final String RX_BUFFERS = "rpmsg.rx.buffers";
    public static final String RX_HELD = "rpmsg.rx.buffers.held";
    public static final String ENDPOINTS = "rpmsg.endpoints";
    /** The tag of every meter: the name the binder was given for the link. */
    public static final String LINK_TAG = "link";
    /** The tag of {@value #DROPPED}. */
    public static final String REASON_TAG = "reason";
    /**
     * The reasons the core drops a message for (an inbound message it cannot deliver, or a listener that
     * threw): one {@value #DROPPED} counter each, so the tag set is fixed.
     */
    public static final Set<Reason> DROP_REASONS = EnumSet.range(Reason.SHORT_BUFFER,
            Reason.values()[Reason.values().length - 1]);

    private final DeviceTotals totals;
    private final Object owner;
    private final Tags tags;

    /** The meters of {@code device}, tagged {@code link=link}. */
    public RpmsgDeviceMetrics(RpmsgDevice device, String link) {
        this(device, link, Tags.empty());
    }

    /** The same with {@code extraTags} on every meter. */
    public RpmsgDeviceMetrics(RpmsgDevice device, String link, Iterable<Tag> extraTags) {
        this(Objects.requireNonNull(device, "device"), () -> device, link, extraTags);
    }

    /**
     * Meters over whichever device {@code current} gives (null between sessions); the registry holds
     * {@code owner} weakly, like any Micrometer meter's object.
     */
    RpmsgDeviceMetrics(Object owner, Supplier<@Nullable RpmsgDevice> current, String link, Iterable<Tag> extraTags) {
        this.owner = owner;
        this.totals = new DeviceTotals(current);
        this.tags = Tags.of(LINK_TAG, Objects.requireNonNull(link, "link")).and(extraTags);
    }

    /** Looks at the current device now (a link's binder calls it when a session starts). */
    void observe() {
        totals.observe();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        DeviceTotals t = totals;
        counter(registry, SENT, "messages", "rpmsg messages handed to the TX ring", o -> t.sent());
        counter(registry, RECEIVED, "messages", "rpmsg messages taken from the RX ring", o -> t.received());
        counter(registry, BYTES_SENT, "bytes", "rpmsg payload bytes sent", o -> t.bytesSent());
        counter(registry, BYTES_RECEIVED, "bytes", "rpmsg payload bytes received", o -> t.bytesReceived());
        counter(registry, KICKS_SENT, "kicks", "notifications (kicks) sent to the peer", o -> t.kicksSent());
        counter(registry, KICKS_RECEIVED, "kicks", "wake-ups of the serving loop by the peer's notification",
                o -> t.kicksReceived());
        counter(registry, TX_PUBLICATIONS, "publications", "index stores on the TX ring (batches published)",
                o -> t.publications());
        for (Reason reason : DROP_REASONS) {
            FunctionCounter.builder(DROPPED, owner, o -> t.dropped(reason))
                    .description("inbound rpmsg messages dropped, and listener failures, by reason")
                    .baseUnit("messages").tags(tags).tag(REASON_TAG, reason.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        gauge(registry, TX_FREE, "buffers", "TX buffers free now", s -> s.stats().txBuffersFree());
        gauge(registry, TX_ALLOCATED, "buffers", "TX buffers the host carved from the heap so far",
                s -> s.stats().txBuffersAllocated());
        gauge(registry, RX_BUFFERS, "buffers", "descriptors of the receive ring", RpmsgDevice::rxBuffers);
        gauge(registry, RX_HELD, "buffers", "RX buffers the application holds now", RpmsgDevice::heldRxBuffers);
        gauge(registry, ENDPOINTS, "endpoints", "live rpmsg endpoints", s -> s.stats().endpoints());
    }

    private void counter(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<Object> f) {
        FunctionCounter.builder(name, owner, f).description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<RpmsgDevice> f) {
        DeviceTotals t = totals;
        Gauge.builder(name, owner, o -> {
            RpmsgDevice d = t.device();
            return d == null ? Double.NaN : f.applyAsDouble(d);
        }).description(description).baseUnit(unit).tags(tags).register(registry);
    }
}
