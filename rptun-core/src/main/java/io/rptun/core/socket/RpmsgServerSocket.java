package io.rptun.core.socket;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import io.rptun.core.socket.SocketException.Reason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening stream socket, as NuttX's {@code listen()}: it watches the name service of its devices and
 * accepts every announcement whose endpoint name starts with {@code "s:" + name} (see {@link SocketNames}),
 * only from the device whose remote cpu is {@link #cpu()} if one was given. For each it creates an endpoint
 * of the announced name bound to the announced address (NuttX's F_ACK then binds the client), sends our
 * SYNC, and queues the connection for {@link #accept}. With {@link SocketOptions#backlog()} connections
 * queued it refuses more: the endpoint is created and destroyed again without a SYNC, so the client hears
 * of it at once (its connect fails with RESET) instead of waiting for its timeout. NuttX sends its SYNC
 * before it destroys, so that a NuttX client first connects, then sees the end. Announcements made before the listener started are
 * accepted too, as NuttX does for those it kept.
 *
 * <p>Connections are created on the device's serving thread. An announcement for which a local endpoint of
 * the same name exists (our own connecting socket, bound by the peer's acknowledgement) is not one to accept.
 */
public final class RpmsgServerSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgServerSocket.class);

    private final List<RpmsgDevice> devices;
    private final String name;
    private final String cpu;
    private final SocketOptions options;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private final ArrayDeque<RpmsgSocket> pending = new ArrayDeque<>();
    private final List<Watcher> watchers = new ArrayList<>();
    private volatile @Nullable Runnable acceptListener;
    private long refused;
    private boolean closed;

    private RpmsgServerSocket(List<RpmsgDevice> devices, String name, String cpu, SocketOptions options) {
        this.devices = devices;
        this.name = name;
        this.cpu = cpu;
        this.options = options;
    }

    /** Listens on {@code name} on {@code device}. */
    public static RpmsgServerSocket listen(RpmsgDevice device, String name, SocketOptions options) {
        return listen(List.of(device), "", name, options);
    }

    /**
     * Listens on {@code name} on every one of {@code devices}, or only on the one whose remote cpu name
     * ({@link RpmsgDevice#remoteCpuName()}) is {@code cpu} when {@code cpu} is not empty.
     *
     * @throws SocketException WRONG_TYPE for datagram options (NuttX listens on streams only)
     * @throws IllegalArgumentException for a bad name
     */
    public static RpmsgServerSocket listen(List<RpmsgDevice> devices, String cpu, String name, SocketOptions options) {
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(options, "options");
        SocketNames.check(name);
        if (options.type() != SocketType.STREAM) {
            throw new SocketException(Reason.WRONG_TYPE, "only stream sockets listen (NuttX: ENOSYS)");
        }
        RpmsgServerSocket server = new RpmsgServerSocket(List.copyOf(devices), name, cpu, options);
        server.start();
        return server;
    }

    private void start() {
        for (RpmsgDevice device : devices) {
            Watcher w = new Watcher(device);
            lock.lock();
            try {
                watchers.add(w);
            } finally {
                lock.unlock();
            }
            Map<String, Integer> known = device.addServiceListener(w);
            known.forEach(w::serviceCreated);
        }
    }

    /** The socket name listened on. */
    public String name() {
        return name;
    }

    /** The cpu it listens to, "" for every device. */
    public String cpu() {
        return cpu;
    }

    /** The endpoint-name prefix it accepts: {@code "s:" + name}, shortened as NuttX does. */
    public String endpointPrefix() {
        return SocketNames.format(name);
    }

    /** Connections refused because the backlog was full. */
    public long refused() {
        lock.lock();
        try {
            return refused;
        } finally {
            lock.unlock();
        }
    }

    /** Connections accepted and not yet taken. */
    public int queued() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the one listener told (on the serving thread, quickly, without blocking) that a connection was
     * queued; it is told once right away. For layers that take connections with {@link #tryAccept()}.
     */
    public void setAcceptListener(@Nullable Runnable value) {
        acceptListener = value;
        if (value != null) {
            value.run();
        }
    }

    /** The next queued connection, or null if none is queued right now. */
    public @Nullable RpmsgSocket tryAccept() {
        lock.lock();
        try {
            checkOpen();
            return pending.poll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next connection, waiting up to {@code timeout} for one.
     *
     * @return the connection (its SYNC is sent; the peer's may still be on its way), or null at the timeout
     * @throws SocketException CLOSED, INTERRUPTED
     */
    public @Nullable RpmsgSocket accept(Duration timeout) {
        long end = System.nanoTime() + Math.max(0, Math.min(saturate(timeout), Long.MAX_VALUE / 4));
        lock.lock();
        try {
            while (true) {
                checkOpen();
                RpmsgSocket s = pending.poll();
                if (s != null) {
                    return s;
                }
                long remaining = end - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                queued.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Reason.INTERRUPTED, "interrupted accepting on " + this);
        } finally {
            lock.unlock();
        }
    }

    private static long saturate(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new SocketException(Reason.CLOSED, this + " is closed");
        }
    }

    /** Stops listening and closes the connections not yet taken (taken ones are the taker's). Idempotent. */
    @Override
    public void close() {
        List<RpmsgSocket> left;
        List<Watcher> ws;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            left = new ArrayList<>(pending);
            pending.clear();
            ws = new ArrayList<>(watchers);
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        for (Watcher w : ws) {
            w.device.removeServiceListener(w);
        }
        left.forEach(RpmsgSocket::close);
        Runnable l = acceptListener;
        if (l != null) {
            l.run();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** An announcement on {@code device}: accept it if it is ours. */
    private void announced(RpmsgDevice device, String announced, int address) {
        if (!SocketNames.matches(name, announced)) {
            return;
        }
        if (!cpu.isEmpty() && !cpu.equals(device.remoteCpuName())) {
            return;
        }
        lock.lock();
        try {
            if (closed || hasLocalEndpoint(device, announced)) {
                return;
            }
            boolean full = pending.size() >= options.backlog();
            RpmsgSocket socket;
            try {
                socket = RpmsgSocket.accept(device, name, announced, address, options, !full);
            } catch (SocketException | RpmsgException e) {
                LOG.warn("{}: cannot accept '{}': {}", this, announced, e.getMessage());
                return;
            }
            if (full) {
                refused++;
                LOG.debug("{}: backlog of {} full, refusing '{}'", this, options.backlog(), announced);
                socket.close();
                return;
            }
            pending.add(socket);
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        Runnable l = acceptListener;
        if (l != null) {
            l.run();
        }
    }

    private static boolean hasLocalEndpoint(RpmsgDevice device, String endpointName) {
        for (RpmsgEndpoint ep : device.endpoints()) {
            if (ep.name().equals(endpointName) && !ep.isDestroyed()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "listening socket '" + endpointPrefix() + "'" + (cpu.isEmpty() ? "" : " on cpu '" + cpu + "'");
    }

    /** The name-service listener on one device. */
    private final class Watcher implements RpmsgServiceListener {
        private final RpmsgDevice device;

        Watcher(RpmsgDevice device) {
            this.device = device;
        }

        @Override
        public void serviceCreated(String service, int address) {
            announced(device, service, address);
        }

        @Override
        public void serviceDestroyed(String service, int address) {
            // The connection's own endpoint hears of it (its onUnbind).
        }
    }
}
