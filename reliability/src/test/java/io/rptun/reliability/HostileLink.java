package io.rptun.reliability;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.virtio.VringException;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A simulated link for one hostile-peer run: a host {@link Rptun} over {@link SimDriver#host} and a
 * {@link SimRemote} in a thread of this JVM over the same {@code /dev/shm} file (its own mapping, as a
 * second process would have), an endpoint pair {@value #SERVICE} bound through the name service, and
 * traffic both ways ({@link HostileTraffic}). The scribbler writes through the host's mapping.
 */
final class HostileLink implements AutoCloseable {
    static final String SERVICE = "hostile-check";
    static final int NUM = 16;
    static final int BUFFER = 256;
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(1);
    static final Duration WAIT = Duration.ofSeconds(20);

    final String id;
    final Path path;
    final Rptun host;
    final SimRemote remote;
    final HostileTraffic toRemote;
    final HostileTraffic toHost;
    private final AtomicReference<@Nullable RpmsgEndpoint> remoteEp = new AtomicReference<>();
    private final AtomicReference<@Nullable RpmsgEndpoint> hostEp = new AtomicReference<>();
    private final ConcurrentLinkedQueue<RpmsgException> hostDrops = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<RpmsgException> refusals = new ConcurrentLinkedQueue<>();
    private volatile boolean corrupted;
    private boolean written;
    private @Nullable RpmsgDevice hostDevice;
    private @Nullable RpmsgDevice remoteDevice;
    private @Nullable HostileMemory memory;

    HostileLink(String id, long seed) {
        this.id = id;
        this.path = SimFile.shmPath("rptun-hostile-" + id);
        this.toRemote = new HostileTraffic("host->remote", hostEp::get, () -> corrupted, SEND_TIMEOUT, seed);
        this.toHost = new HostileTraffic("remote->host", remoteEp::get, () -> corrupted, SEND_TIMEOUT, ~seed);
        SimOptions options = SimOptions.defaults("unused").withPath(path).withTable(SimOptions.table(NUM, BUFFER))
                .withNames("hhost-" + id, "hremote-" + id)
                // Generous, so that a loaded machine does not lose a peer by itself (a dead pid is seen sooner).
                .withLiveness(Duration.ofSeconds(3));
        RptunOptions hostOptions = RptunOptions.defaults().withReadyTimeout(WAIT)
                .withMailboxTimeout(Duration.ofMillis(500))
                .withRpmsg(RpmsgOptions.defaults().withSendTimeout(SEND_TIMEOUT)
                        .withDropListener((device, why) -> hostDrops.add(why)));
        this.host = Rptun.create(SimDriver.host(options, null), hostOptions);
        SimRemote r = null;
        try {
            r = SimRemote.start(options, false, false, List.of(device ->
                    remoteEp.set(device.createEndpoint(SERVICE, toRemote.listener()))));
            this.remote = r;
            RpmsgDevice hd = host.start();
            RpmsgDevice rd = r.awaitRunning(WAIT);
            hostDevice = hd;
            remoteDevice = rd;
            SimFile hostFile = ((SimDriver) host.driver()).file();
            SimFile remoteFile = ((SimDriver) r.rptun().driver()).file();
            HostileMemory m = new HostileMemory(hostFile.segment(), hostFile.region(), BUFFER);
            memory = m;
            toHost.receiverMapping(hostFile.region(), m.carveoutFrom, m.carveoutTo, BUFFER - 16);
            // The host's RX buffers are its own (256 bytes); a remote's are whatever the host offers in its window.
            toRemote.receiverMapping(remoteFile.region(), m.carveoutFrom, m.carveoutTo, 0xFFFF);
            RpmsgEndpoint ep = hd.createEndpoint(SERVICE, toHost.listener());
            hostEp.set(ep);
            awaitBound(ep);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (remoteEp.get() == null && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            awaitBound(java.util.Objects.requireNonNull(remoteEp.get(), "the remote registered no endpoint"));
        } catch (RuntimeException | Error e) {
            closeQuietly(r, e);
            throw e;
        }
    }

    private static void awaitBound(RpmsgEndpoint ep) {
        if (!ep.awaitBound(WAIT)) {
            throw new IllegalStateException(ep + " was not bound within " + WAIT);
        }
    }

    /** Starts traffic both ways. */
    void startTraffic() {
        toRemote.start("hostile-send-h-" + id);
        toHost.start("hostile-send-r-" + id);
    }

    /** From now on, a message that is not perfect is the hostile peer's doing. */
    void markCorrupted() {
        corrupted = true;
    }

    HostileMemory memory() {
        return java.util.Objects.requireNonNull(memory);
    }

    /** The remote's endpoint of the service (the current session's), for forged name-service messages. */
    RpmsgEndpoint remoteEndpoint() {
        return java.util.Objects.requireNonNull(remoteEp.get());
    }

    /** True for the first scribble of the run (the scribbler's thread only). */
    boolean firstWrite() {
        boolean first = !written;
        written = true;
        return first;
    }

    /** The remote refused to send one of the scribbler's forged messages (typed, and fine). */
    void remoteScribbleRefused(RpmsgException e) {
        refusals.add(e);
    }

    /** Stops both senders; false if either did not stop within {@code wait}. */
    boolean stopTraffic(Duration wait) throws InterruptedException {
        boolean a = toRemote.stop(wait);
        boolean b = toHost.stop(wait);
        return a && b;
    }

    /**
     * Every typed error either side reported, as "who: what" (reasons, and the ring violation for a broken
     * device), counted. Empty when the hostile writes went unnoticed.
     */
    Map<String, Long> typedErrors() {
        Map<String, Long> out = new TreeMap<>();
        failure(out, "host device", hostDevice);
        failure(out, "remote device", remoteDevice);
        state(out, "host link", host);
        state(out, "remote link", remote.rptun());
        for (RpmsgException e : hostDrops) {
            out.merge("host dropped " + e.reason(), 1L, Long::sum);
        }
        RpmsgDevice rd = remoteDevice;
        if (rd != null) {
            rd.stats().dropped().forEach((reason, n) -> out.merge("remote dropped " + reason, n, Long::sum));
        }
        toRemote.sendFailures().forEach((reason, n) -> out.merge("host send " + reason, n, Long::sum));
        toHost.sendFailures().forEach((reason, n) -> out.merge("remote send " + reason, n, Long::sum));
        if (toHost.forged() > 0) {
            out.put("host received forged", toHost.forged());
        }
        if (toRemote.forged() > 0) {
            out.put("remote received forged", toRemote.forged());
        }
        return out;
    }

    private static void failure(Map<String, Long> out, String who, @Nullable RpmsgDevice device) {
        RpmsgException f = device == null ? null : device.failure();
        if (f != null) {
            String ring = f.getCause() instanceof VringException v ? " (" + v.reason() + ")" : "";
            out.merge(who + " " + f.reason() + ring, 1L, Long::sum);
        }
    }

    private static void state(Map<String, Long> out, String who, Rptun link) {
        RptunState s = link.state();
        if (s != RptunState.RUNNING) {
            out.merge(who + " " + s, 1L, Long::sum);
        }
    }

    /** Names of live threads that belong to this link (its cpu names are in every thread name it starts). */
    List<String> liveThreads() {
        List<String> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().contains(id)) {
                out.add(t.getName());
            }
        }
        return out;
    }

    /** Closes the host first (a broken remote cannot hold it up past the mailbox timeout), then the remote. */
    @Override
    public void close() {
        closeQuietly(remote, null);
    }

    private void closeQuietly(@Nullable SimRemote r, @Nullable Throwable primary) {
        try {
            host.close();
        } catch (RuntimeException e) {
            if (primary == null) {
                throw e;
            }
            primary.addSuppressed(e);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (RuntimeException e) {
                    if (primary == null) {
                        throw e;
                    }
                    primary.addSuppressed(e);
                }
            }
        }
    }

    /** True once the file is gone (the host deletes it on close). */
    boolean fileRemoved() {
        return !Files.exists(path);
    }
}
