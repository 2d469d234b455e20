package io.rptun.sim;

import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The doorbell of OpenAMP's Linux userspace machine (docs/protocols.md section 5): a UNIX-domain stream
 * socket, one byte {@code 0x01} per kick, so a Java peer can replace either C process of that demo.
 *
 * <p>The remote (virtio device) side {@linkplain #listen listens}: it replaces only a stale socket file
 * (nobody listening), binds, accepts exactly one connection, and then closes the listening socket and
 * deletes its file at once (a
 * second host then fails to connect instead of queueing forever on a backlog nobody accepts; and
 * {@link #close()} never deletes a socket file that a newer listener made at the same path). The host
 * (driver) side {@linkplain #connect connects}, retrying while the path is missing or refuses.
 *
 * <p>{@link #notify(int)} writes one byte {@code 0x01}; the notify id is not sent, and the receiver scans
 * every vring. {@link #await} drains every pending byte (any value counts) and returns true, so kicks
 * coalesce: a hundred kicks that arrived while the serving thread was busy make one wake-up. The channel is
 * non-blocking: when the socket buffer is full a kick is skipped, which is safe because the peer has unread
 * kicks already and will scan every vring when it drains them.
 *
 * <p>End of stream or a reset means the peer closed or died: the doorbell becomes peer-closed,
 * {@link #await} returns true once (so the serving loop runs and finds out), later awaits only wake for a
 * local {@link #ring()} or the timeout, notifies are dropped silently, and the callbacks given to
 * {@link #onPeerClosed} run once.
 *
 * <p>Threads: {@link #await} by one serving thread; {@link #notify}, {@link #ring} and {@link #close} from
 * any thread.
 */
public final class UnixSocketDoorbell implements Doorbell, PeerNotifier {
    /** The byte a kick is on the wire. */
    public static final byte KICK = 0x01;
    /** {@code sizeof(sockaddr_un.sun_path) - 1} on Linux: the longest socket path in bytes. */
    public static final int MAX_PATH_BYTES = 107;

    private static final long RETRY_NANOS = Duration.ofMillis(25).toNanos();

    /**
     * What a doorbell did so far.
     *
     * @param kicksSent bytes written by {@link #notify}
     * @param kicksSkipped notifies skipped because the socket buffer was full (the peer had unread kicks)
     * @param kicksReceived bytes drained by {@link #await}
     */
    public record Stats(long kicksSent, long kicksSkipped, long kicksReceived) {
    }

    private final Path path;
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(256);
    private final ByteBuffer kick = ByteBuffer.wrap(new byte[] {KICK});
    private final Object writeLock = new Object();
    private final Object callbackLock = new Object();
    private final AtomicBoolean rung = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder kicksSent = new LongAdder();
    private final LongAdder kicksSkipped = new LongAdder();
    private final LongAdder kicksReceived = new LongAdder();
    private volatile boolean peerClosed;
    private volatile @Nullable IOException peerFailure;
    private volatile @Nullable RuntimeException callbackFailure;
    private List<Runnable> peerClosedCallbacks = new ArrayList<>();

    private UnixSocketDoorbell(Path path, SocketChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        try {
            this.key = channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
    }

    /**
     * Binds a socket at {@code path} and accepts one connection; the listening socket and its file are gone
     * when this returns, whatever the outcome (the file only while it is still the socket bound here).
     *
     * <p>Nothing at {@code path} is replaced unless it is a stale socket: a socket file nobody listens on (as
     * a killed listener leaves it). A socket with a live listener is IN_USE; a regular file, a directory, a
     * symbolic link or anything else is NOT_A_SOCKET; either way it is left as it is. If the JVM exits while
     * this waits (SIGTERM, Ctrl-C), the socket file is removed by {@link OwnedPath}'s exit hook.
     *
     * @throws SimException TIMEOUT if nobody connected within {@code acceptTimeout}; IN_USE, NOT_A_SOCKET;
     *     SOCKET_FAILED (a path longer than {@value #MAX_PATH_BYTES} bytes, a bind or accept error);
     *     INTERRUPTED
     */
    public static UnixSocketDoorbell listen(Path path, Duration acceptTimeout) {
        checkPath(path);
        long begun = System.nanoTime();
        long deadline = begun + Math.max(0, acceptTimeout.toNanos());
        replaceIfStale(path);
        SocketChannel accepted = null;
        OwnedPath bound = null;
        try {
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    Selector acceptSelector = Selector.open()) {
                try {
                    server.bind(UnixDomainSocketAddress.of(path), 1);
                } catch (BindException e) {
                    throw new SimException(SimException.Reason.IN_USE, path + ": another process bound it just now ("
                            + PathState.of(path).describe() + ")", e);
                }
                bound = OwnedPath.claim(path, true);
                server.configureBlocking(false);
                server.register(acceptSelector, SelectionKey.OP_ACCEPT);
                while ((accepted = server.accept()) == null) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        throw new SimException(SimException.Reason.TIMEOUT, path + ": nobody connected within "
                                + acceptTimeout);
                    }
                    acceptSelector.select(Math.max(1, (remaining + 999_999) / 1_000_000));
                    acceptSelector.selectedKeys().clear();
                    if (Thread.currentThread().isInterrupted()) {
                        throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted after "
                                + Duration.ofNanos(System.nanoTime() - begun).toMillis()
                                + " ms of waiting for a connection");
                    }
                }
            }
            return new UnixSocketDoorbell(path, accepted);
        } catch (IOException e) {
            closeQuietly(accepted, e);
            throw new SimException(SimException.Reason.SOCKET_FAILED, path + ": cannot listen or accept: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(accepted, e);
            throw e;
        } finally {
            if (bound != null) {
                try {
                    bound.delete();
                } catch (SimException ignored) {
                    // Best effort: a socket file nobody listens on is stale, and the next listener replaces it.
                }
            }
        }
    }

    /**
     * Makes room for a bind at {@code path}: nothing there, or a socket file nobody listens on (deleted while
     * it is still that socket). Anything else is refused untouched.
     */
    private static void replaceIfStale(Path path) {
        PathState state = PathState.of(path);
        if (state.absent()) {
            return;
        }
        if (state.kind() != PathState.Kind.SOCKET) {
            throw new SimException(SimException.Reason.NOT_A_SOCKET, path + ": is " + state.describe()
                    + ", not a socket; it was left as it is");
        }
        if (hasListener(path)) {
            throw new SimException(SimException.Reason.IN_USE, path + ": a process is listening on it; it was left"
                    + " as it is");
        }
        state.deleteIfUnchanged();
    }

    /**
     * True if something accepts connections on the socket at {@code path}: read from {@code /proc/net/unix}
     * (a connection would be taken as a peer by a listener that accepts exactly one), else by trying to
     * connect.
     */
    static boolean hasListener(Path path) {
        Optional<Boolean> proc = ProcFs.hasListener(path);
        if (proc.isPresent()) {
            return proc.get();
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Refuses at once a path that exists and is not a socket (connecting to it could never succeed).
     *
     * @throws SimException NOT_A_SOCKET
     */
    static void checkNotOtherThanSocket(Path path) {
        PathState state = PathState.of(path);
        if (!state.absent() && state.kind() != PathState.Kind.SOCKET) {
            throw new SimException(SimException.Reason.NOT_A_SOCKET, path + ": is " + state.describe()
                    + ", not a socket; it was left as it is");
        }
    }

    /**
     * Connects to the listener at {@code path}, retrying every 25 ms while the path is missing or refuses.
     *
     * @throws SimException TIMEOUT (naming the path and the last error) if no connection was made within
     *     {@code retryFor}; NOT_A_SOCKET at once if the path holds something else; SOCKET_FAILED for a path
     *     longer than {@value #MAX_PATH_BYTES} bytes; INTERRUPTED
     */
    public static UnixSocketDoorbell connect(Path path, Duration retryFor) {
        checkPath(path);
        checkNotOtherThanSocket(path);
        long deadline = System.nanoTime() + Math.max(0, retryFor.toNanos());
        IOException last = null;
        while (true) {
            SocketChannel channel = null;
            try {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.connect(UnixDomainSocketAddress.of(path));
                return new UnixSocketDoorbell(path, channel);
            } catch (IOException e) {
                closeQuietly(channel, e);
                last = e;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new SimException(SimException.Reason.TIMEOUT, path + ": could not connect within " + retryFor
                        + " (last error: " + last + ")", last);
            }
            LockSupport.parkNanos(Math.min(RETRY_NANOS, remaining));
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while connecting",
                        last);
            }
        }
    }

    private static void checkPath(Path path) {
        Objects.requireNonNull(path, "path");
        int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw new SimException(SimException.Reason.SOCKET_FAILED, path + ": a UNIX socket path is at most "
                    + MAX_PATH_BYTES + " bytes, this one is " + bytes);
        }
    }

    private static void closeQuietly(@Nullable SocketChannel channel, Exception primary) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }

    /** The socket path (for the listener, already deleted). */
    public Path path() {
        return path;
    }

    /**
     * Kicks the peer: one byte {@code 0x01}. Never blocks and never throws: a full socket buffer skips the
     * kick (the peer has unread ones); a failed write marks the doorbell peer-closed.
     */
    @Override
    public void notify(int notifyId) {
        if (closed.get() || peerClosed) {
            return;
        }
        IOException failure = null;
        synchronized (writeLock) {
            kick.clear();
            try {
                if (channel.write(kick) == 1) {
                    kicksSent.increment();
                } else {
                    kicksSkipped.increment();
                }
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null && !closed.get()) {
            observePeerClosed(failure);
        }
    }

    /** Makes the current or next {@link #await} return true (a local wake-up; nothing is sent). */
    @Override
    public void ring() {
        rung.set(true);
        selector.wakeup();
    }

    /**
     * Waits until a kick arrives, {@link #ring()} is called, or {@code timeout} passed; drains every pending
     * byte.
     *
     * @return true if kicked or rung, and once when the peer closed; false on timeout, after
     *     {@link #close()}, or when the thread is interrupted
     */
    @Override
    public boolean await(Duration timeout) {
        if (closed.get()) {
            return false;
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        try {
            while (true) {
                if (rung.getAndSet(false) || drain()) {
                    return !closed.get();
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || closed.get() || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                selector.select(Math.max(1, (remaining + 999_999) / 1_000_000));
                selector.selectedKeys().clear();
            }
        } catch (ClosedSelectorException e) {
            return false;
        } catch (IOException e) {
            if (closed.get()) {
                return false;
            }
            observePeerClosed(e);
            return true;
        }
    }

    /** Reads every pending byte; true if any arrived or the peer closed just now. */
    private boolean drain() throws IOException {
        if (!key.isValid()) {
            return false; // peer closed earlier: nothing more to read
        }
        boolean any = false;
        while (true) {
            readBuffer.clear();
            int n;
            try {
                n = channel.read(readBuffer);
            } catch (IOException e) {
                if (closed.get()) {
                    throw e;
                }
                key.cancel();
                observePeerClosed(e);
                return true;
            }
            if (n > 0) {
                kicksReceived.add(n);
                any = true;
                continue;
            }
            if (n < 0) {
                key.cancel();
                observePeerClosed(null);
                return true;
            }
            return any;
        }
    }

    private void observePeerClosed(@Nullable IOException cause) {
        List<Runnable> callbacks;
        synchronized (callbackLock) {
            if (peerClosed) {
                return;
            }
            peerFailure = cause;
            peerClosed = true;
            callbacks = peerClosedCallbacks;
            peerClosedCallbacks = List.of();
        }
        for (Runnable callback : callbacks) {
            runCallback(callback);
        }
    }

    private void runCallback(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            // Observed from notify or await, neither of which may throw for a callback's sake.
            callbackFailure = e;
        }
    }

    /**
     * Runs {@code callback} once, on the thread that first sees the peer gone (end of stream or a failed
     * read or write); at once if that was seen already.
     */
    public void onPeerClosed(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (callbackLock) {
            if (!peerClosed) {
                peerClosedCallbacks.add(callback);
                return;
            }
        }
        runCallback(callback);
    }

    /** True once the peer was seen closing its end or dying. */
    public boolean isPeerClosed() {
        return peerClosed;
    }

    /** The I/O error that showed the peer gone, or null (a clean end of stream, or not gone). */
    public @Nullable IOException peerFailure() {
        return peerFailure;
    }

    /** The last exception an {@link #onPeerClosed} callback threw, or null. */
    public @Nullable RuntimeException callbackFailure() {
        return callbackFailure;
    }

    public Stats stats() {
        return new Stats(kicksSent.sum(), kicksSkipped.sum(), kicksReceived.sum());
    }

    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Wakes a waiter (which returns false), closes the connection and the selector. There is no socket file
     * left to delete: the listener deleted its own right after accepting. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        rung.set(true);
        selector.wakeup();
        IOException failure = null;
        try {
            channel.close();
        } catch (IOException e) {
            failure = e;
        }
        try {
            selector.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw new SimException(SimException.Reason.SOCKET_FAILED, path + ": cannot close: " + failure, failure);
        }
    }

    @Override
    public String toString() {
        return "UnixSocketDoorbell[" + path + ", " + stats() + (peerClosed ? ", peer closed" : "")
                + (closed.get() ? ", closed" : "") + "]";
    }
}
