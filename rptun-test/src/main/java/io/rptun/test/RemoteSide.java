package io.rptun.test;

import io.rptun.sim.RemoteServices;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the remote side of a {@link TestLink} serves: the built-in {@code rptun-echo} and {@code rptun-sink}
 * services and {@link RemoteServices} of the test's own. Immutable. For a {@link Transport#CHILD_JVM} remote,
 * each services class needs a public no-argument constructor (the child loads it by name).
 *
 * @param echo whether {@code rptun-echo} answers every message with the same bytes
 * @param sink whether {@code rptun-sink} takes and counts every message
 * @param services the test's own services, registered on every session
 */
public record RemoteSide(boolean echo, boolean sink, List<RemoteServices> services) {
    public RemoteSide {
        services = List.copyOf(Objects.requireNonNull(services, "services"));
    }

    /** Echo and sink, nothing else. */
    public static RemoteSide defaults() {
        return new RemoteSide(true, true, List.of());
    }

    /** Only the test's services. */
    public static RemoteSide of(RemoteServices... services) {
        return new RemoteSide(false, false, List.of(services));
    }

    public RemoteSide withEcho(boolean value) {
        return new RemoteSide(value, sink, services);
    }

    public RemoteSide withSink(boolean value) {
        return new RemoteSide(echo, value, services);
    }

    /** These services as well. */
    public RemoteSide with(RemoteServices... more) {
        List<RemoteServices> all = new ArrayList<>(services);
        all.addAll(List.of(more));
        return new RemoteSide(echo, sink, all);
    }
}
