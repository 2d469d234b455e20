package io.rptun.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.rptun.reactive.ChannelStats;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.reactive.RpmsgService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The meters of the reactive channels of one {@link RpmsgReactive} ({@link ChannelStats}), tagged {@code link}
 * and {@code endpoint} (the channel's service name). A channel is counted once it is {@linkplain #track
 * tracked}, which fits in the pipeline that opens it:
 *
 * <pre>{@code
 * RpmsgReactiveMetrics metrics = new RpmsgReactiveMetrics(rpmsg, "cp");
 * metrics.bindTo(registry);
 * rpmsg.open("echo").map(metrics::track).flatMapMany(ch -> ...);
 * }</pre>
 *
 * <table>
 * <caption>Meters, per endpoint name (channels of the same name add up)</caption>
 * <tr><th>name</th><th>type</th><th>base unit</th><th>what</th></tr>
 * <tr><td>{@value #OPEN}</td><td>gauge</td><td>channels</td><td>tracked channels open now</td></tr>
 * <tr><td>{@value #HELD}</td><td>gauge</td><td>messages</td><td>messages held zero-copy now (RX buffers kept)</td></tr>
 * <tr><td>{@value #COPIED}</td><td>gauge</td><td>messages</td><td>messages held as heap copies now</td></tr>
 * <tr><td>{@value #COPIED_BYTES}</td><td>gauge</td><td>bytes</td><td>what those copies count against the copy
 *     budgets now</td></tr>
 * <tr><td>{@value #PAUSING}</td><td>gauge</td><td>channels</td><td>channels pausing the link's delivery now</td></tr>
 * <tr><td>{@value #PAUSES}</td><td>counter</td><td>pauses</td><td>pause episodes (the whole link waited for a
 *     receiver)</td></tr>
 * <tr><td>{@value #DROPPED}</td><td>counter</td><td>messages</td><td>messages the channels dropped</td></tr>
 * <tr><td>{@value #DELIVERED}</td><td>counter</td><td>messages</td><td>messages passed to receivers</td></tr>
 * <tr><td>{@value #LAYER_COPIED_BYTES}</td><td>gauge (no {@code endpoint})</td><td>bytes</td><td>heap bytes all the
 *     layer's channels hold in copies, against the device copy budget</td></tr>
 * </table>
 *
 * <p>Counters keep what closed channels counted, so they only grow. The {@code endpoint} tag takes the first
 * {@code maxEndpoints} names it sees; channels of later names share {@value #OTHER_ENDPOINTS}, so a program
 * that opens channels under ever new names cannot grow the registry without bound.
 */
public final class RpmsgReactiveMetrics implements MeterBinder {
    public static final String OPEN = "rpmsg.channel.open";
    public static final String HELD = "rpmsg.channel.held";
    public static final String COPIED = "rpmsg.channel.copied";
    public static final String COPIED_BYTES = "rpmsg.channel.copied.bytes";
    public static final String PAUSING = "rpmsg.channel.pausing";
    public static final String PAUSES = "rpmsg.channel.pauses";
    public static final String DROPPED = "rpmsg.channel.dropped";
    public static final String DELIVERED = "rpmsg.channel.delivered";
    public static final String LAYER_COPIED_BYTES = "rpmsg.reactive.copied.bytes";
    /** The tag that names the channel's service. */
    public static final String ENDPOINT_TAG = "endpoint";
    /** The {@code endpoint} tag of channels past the first {@code maxEndpoints} names. */
    public static final String OTHER_ENDPOINTS = "other";
    /** How many endpoint names get a tag value of their own unless told otherwise. */
    public static final int DEFAULT_MAX_ENDPOINTS = 64;

    private final RpmsgReactive layer;
    private final Tags tags;
    private final int maxEndpoints;
    /** Under this object's monitor, like {@link #registries}. */
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private final List<MeterRegistry> registries = new ArrayList<>();
    /** Endpoint names with a tag value of their own so far. */
    private int named;

    /** The channel meters of {@code layer}, tagged {@code link=link}, with {@link #DEFAULT_MAX_ENDPOINTS}. */
    public RpmsgReactiveMetrics(RpmsgReactive layer, String link) {
        this(layer, link, DEFAULT_MAX_ENDPOINTS, Tags.empty());
    }

    /**
     * The same with at most {@code maxEndpoints} endpoint names of their own and {@code extraTags} on every
     * meter.
     *
     * @throws IllegalArgumentException if {@code maxEndpoints} is negative
     */
    public RpmsgReactiveMetrics(RpmsgReactive layer, String link, int maxEndpoints, Iterable<Tag> extraTags) {
        if (maxEndpoints < 0) {
            throw new IllegalArgumentException("maxEndpoints=" + maxEndpoints);
        }
        this.layer = Objects.requireNonNull(layer, "layer");
        this.tags = Tags.of(RpmsgDeviceMetrics.LINK_TAG, Objects.requireNonNull(link, "link")).and(extraTags);
        this.maxEndpoints = maxEndpoints;
    }

    /**
     * Counts {@code channel} under its name from now until it closes (what it counted before is included: its
     * counters start at its opening). Returns it, for {@code .map(metrics::track)}. Tracking a channel twice
     * counts it once.
     */
    public RpmsgChannel track(RpmsgChannel channel) {
        Endpoint e;
        synchronized (this) {
            String name = channel.name();
            e = endpoints.get(name);
            if (e == null) {
                String tag = named < maxEndpoints ? name : OTHER_ENDPOINTS;
                e = endpoints.get(tag);
                if (e == null) {
                    e = new Endpoint(tag);
                    endpoints.put(tag, e);
                    named += tag.equals(name) ? 1 : 0;
                    for (MeterRegistry r : registries) {
                        register(r, e);
                    }
                }
            }
        }
        Endpoint endpoint = e;
        if (endpoint.add(channel)) {
            channel.onClose().subscribe(null, err -> endpoint.retire(channel), () -> endpoint.retire(channel));
        }
        return channel;
    }

    /** Counts the channel of {@code service} ({@link #track(RpmsgChannel)}); returns the service. */
    public RpmsgService track(RpmsgService service) {
        track(service.channel());
        return service;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Gauge.builder(LAYER_COPIED_BYTES, layer, RpmsgReactive::copiedBytes)
                .description("heap bytes the layer's channels hold in copies, against the device copy budget")
                .baseUnit("bytes").tags(tags).register(registry);
        for (Endpoint e : endpoints.values()) {
            register(registry, e);
        }
    }

    private void register(MeterRegistry registry, Endpoint e) {
        Tags t = tags.and(ENDPOINT_TAG, e.tag);
        gauge(registry, OPEN, "channels", "tracked rpmsg channels open now", t, e, x -> x.open());
        gauge(registry, HELD, "messages", "messages the channels hold zero-copy now", t, e,
                x -> x.sum(ChannelStats::held));
        gauge(registry, COPIED, "messages", "messages the channels hold as heap copies now", t, e,
                x -> x.sum(ChannelStats::copied));
        gauge(registry, COPIED_BYTES, "bytes", "bytes of those copies, as counted against the copy budgets", t, e,
                x -> x.sum(ChannelStats::copiedBytes));
        gauge(registry, PAUSING, "channels", "channels pausing the link's delivery now", t, e,
                x -> x.sum(s -> s.pausing() ? 1 : 0));
        counter(registry, PAUSES, "pauses", "times a channel paused the link's delivery for its receiver", t, e,
                Count.PAUSES);
        counter(registry, DROPPED, "messages", "messages the channels dropped", t, e, Count.DROPPED);
        counter(registry, DELIVERED, "messages", "messages passed to the channels' receivers", t, e,
                Count.DELIVERED);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description, Tags t, Endpoint e,
            ToDoubleFunction<Endpoint> f) {
        Gauge.builder(name, layer, l -> f.applyAsDouble(e)).description(description).baseUnit(unit).tags(t)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String unit, String description, Tags t, Endpoint e,
            Count c) {
        FunctionCounter.builder(name, layer, l -> e.total(c)).description(description).baseUnit(unit).tags(t)
                .register(registry);
    }

    /** The counters of {@link ChannelStats}. */
    private enum Count {
        PAUSES(ChannelStats::pauses),
        DROPPED(ChannelStats::dropped),
        DELIVERED(ChannelStats::delivered);

        final ToLongFunction<ChannelStats> of;

        Count(ToLongFunction<ChannelStats> of) {
            this.of = of;
        }
    }

    /** The channels under one {@code endpoint} tag value, and what the closed ones counted. */
    private static final class Endpoint {
        final String tag;
        private final List<RpmsgChannel> live = new ArrayList<>();
        private final long[] retired = new long[Count.values().length];

        Endpoint(String tag) {
            this.tag = tag;
        }

        synchronized boolean add(RpmsgChannel channel) {
            if (live.contains(channel)) {
                return false;
            }
            live.add(channel);
            return true;
        }

        /** The channel closed: its counters are final, and count on in {@link #retired}. */
        synchronized void retire(RpmsgChannel channel) {
            if (live.remove(channel)) {
                ChannelStats s = channel.stats();
                for (Count c : Count.values()) {
                    retired[c.ordinal()] += c.of.applyAsLong(s);
                }
            }
        }

        synchronized int open() {
            return live.size();
        }

        synchronized double sum(ToDoubleFunction<ChannelStats> f) {
            double sum = 0;
            for (RpmsgChannel c : live) {
                sum += f.applyAsDouble(c.stats());
            }
            return sum;
        }

        synchronized double total(Count c) {
            long sum = retired[c.ordinal()];
            for (RpmsgChannel ch : live) {
                sum += c.of.applyAsLong(ch.stats());
            }
            return sum;
        }
    }
}
