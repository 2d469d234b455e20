package io.rptun.test.openamp;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The IPI of OpenAMP's Linux machine ({@code platform_info.c}) as its programs use it, not as rptun's
 * {@code UnixSocketDoorbell} does:
 * <ul>
 *   <li>A thread of its own (libmetal's IRQ thread) reads kick bytes as soon as they arrive, whatever the
 *       program is doing, and clears the "no kick" flag; {@link #awaitKick} is {@code platform_poll}'s
 *       {@code atomic_flag_test_and_set} loop: it returns once per batch of kicks.</li>
 *   <li>{@link #kick()} is {@code send(fd, &dummy, 1, 0)} on a blocking socket: when the peer has not read
 *       the kicks it already got and the socket buffer is full, the program stops right there until the
 *       peer reads. A peer that stops reading its socket while it waits for this program stalls both.</li>
 * </ul>
 * Blocked writes and waits give up after the stall limit with {@link CPeerException.Reason#STALLED}.
 */
final class CSocket implements AutoCloseable {
    private static final long WRITE_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private final SocketChannel channel;
    private final Selector selector;
    private final Thread reader;
    private final AtomicBoolean kicked = new AtomicBoolean();
    private final ByteBuffer one = ByteBuffer.wrap(new byte[] {1});
    private volatile boolean peerClosed;
    private volatile boolean closed;
    private volatile @Nullable Thread waiter;
    private long kicksReceived;
    private long blockedWrites;

    private CSocket(SocketChannel channel, String name) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        this.reader = Thread.ofPlatform().daemon().name(name + "-ipi").unstarted(this::readLoop);
        reader.start();
    }

    /** {@code sk_unix_server}: unlink, bind, listen, accept one, close the listening socket (and its file). */
    static CSocket listen(Path path, Duration acceptTimeout, String name) {
        try {
            Files.deleteIfExists(path);
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(path), 5);
                server.configureBlocking(false);
                long end = System.nanoTime() + acceptTimeout.toNanos();
                SocketChannel c;
                while ((c = server.accept()) == null) {
                    if (System.nanoTime() - end > 0) {
                        throw new CPeerException(CPeerException.Reason.STALLED, name + ": nobody connected to " + path
                                + " within " + acceptTimeout);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                return new CSocket(c, name);
            } finally {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new CPeerException(CPeerException.Reason.PEER_GONE, name + ": cannot listen on " + path + ": " + e);
        }
    }

    /** {@code sk_unix_client}, retried while the server is not there yet. */
    static CSocket connect(Path path, Duration timeout, String name) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    c.connect(UnixDomainSocketAddress.of(path));
                    return new CSocket(c, name);
                } catch (IOException e) {
                    c.close();
                    throw e;
                }
            } catch (IOException e) {
                if (System.nanoTime() - end > 0) {
                    throw new CPeerException(CPeerException.Reason.STALLED, name + ": could not connect to " + path
                            + " within " + timeout + ": " + e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(32);
        try {
            while (!closed) {
                selector.select(100);
                selector.selectedKeys().clear();
                while (true) {
                    buffer.clear();
                    int n = channel.read(buffer);
                    if (n < 0) {
                        peerClosed = true;
                        wake();
                        return;
                    }
                    if (n == 0) {
                        break;
                    }
                    kicksReceived += n;
                    kicked.set(true);
                    wake();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                peerClosed = true;
                wake();
            }
        }
    }

    private void wake() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /**
     * Waits up to {@code timeout} for a kick (one that came while the program was busy counts).
     *
     * @return true if kicked, false on timeout
     * @throws CPeerException PEER_GONE when the peer closed its end
     */
    boolean awaitKick(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        waiter = Thread.currentThread();
        try {
            while (true) {
                if (kicked.getAndSet(false)) {
                    return true;
                }
                if (peerClosed || closed) {
                    throw new CPeerException(CPeerException.Reason.PEER_GONE, "the other side closed the socket");
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiter = null;
        }
    }

    /**
     * Writes one kick byte, waiting (as a blocking {@code send} would) while the socket buffer is full.
     *
     * @throws CPeerException STALLED when it could not write for {@code stallLimit}; PEER_GONE
     */
    void kick(Duration stallLimit) {
        long end = 0;
        try {
            while (true) {
                one.clear();
                if (channel.write(one) == 1) {
                    return;
                }
                if (end == 0) {
                    blockedWrites++;
                    end = System.nanoTime() + stallLimit.toNanos();
                } else if (System.nanoTime() - end > 0) {
                    throw new CPeerException(CPeerException.Reason.STALLED, "a kick could not be written for "
                            + stallLimit + ": the other side does not read its socket");
                }
                if (peerClosed || closed) {
                    throw new CPeerException(CPeerException.Reason.PEER_GONE, "the other side closed the socket");
                }
                LockSupport.parkNanos(WRITE_PARK_NANOS);
            }
        } catch (IOException e) {
            peerClosed = true;
            throw new CPeerException(CPeerException.Reason.PEER_GONE, "the other side closed the socket: " + e);
        }
    }

    /** Kicks that found the socket buffer full and had to wait for the peer to read. */
    long blockedWrites() {
        return blockedWrites;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket the peer may have closed already
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
