package io.rptun.core.socket;

import static io.rptun.core.socket.SocketMessageLayout.CMD_DATA;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SHUTDOWN;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SYNC;
import static io.rptun.core.socket.SocketMessageLayout.DATAGRAM_PREFIX_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.DATA_HEADER_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.SHUTDOWN_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.SHUT_RD;
import static io.rptun.core.socket.SocketMessageLayout.SHUT_WR;
import static io.rptun.core.socket.SocketMessageLayout.SYNC_BYTES;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.core.socket.SocketException.Reason;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rpmsg socket connection, wire-compatible with NuttX's {@code AF_RPMSG} sockets: a connecting socket
 * ({@link #connect}) or one a {@link RpmsgServerSocket} accepted. Thread-safe; any number of threads may
 * read and write, and each write is atomic with respect to the others.
 *
 * <h2>Flow control</h2>
 * Each side announces its receive window in its SYNC. We send at most the peer's window unacknowledged
 * (every DATA we send carries our own read position as an acknowledgement too), and the peer may send us at
 * most ours: what arrives is copied into our window at once, so the RX buffer goes straight back and no
 * connection ever holds one. Reading frees the window; once more than half of it was read since our last
 * acknowledgement we send an empty DATA with our position. So a reader that stops stops its writer at the
 * window, and nothing else on the device.
 *
 * <h2>Blocking and not</h2>
 * Every operation takes a {@link Duration}: {@link Duration#ZERO} does what can be done now and returns,
 * anything else waits up to that long. Waiting for credit, data or a TX buffer never holds a ring buffer.
 * Layers that must not block use ZERO and a {@link SocketListener}.
 *
 * <h2>The peer is untrusted</h2>
 * A peer that sends more than our window, acknowledges beyond what we sent, announces a window of 0 or
 * above {@link SocketOptions#maxPeerWindow()}, or sends a message whose lengths disagree breaks this
 * connection with a {@link SocketException} whose reason says which ({@link #failure()}); its endpoint is
 * destroyed and every waiting and later call throws it. Nothing else is touched.
 *
 * <h2>End of stream</h2>
 * A peer's SHUTDOWN with SHUT_WR, or its endpoint going away (NS destroy: how NuttX closes), ends our input
 * once what arrived has been read. After the peer's endpoint went away writes fail with {@link
 * Reason#RESET}; after its SHUT_RD with {@link Reason#PEER_SHUT_INPUT}.
 */
public final class RpmsgSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgSocket.class);
    /** How long a blocking send waits for a TX buffer before it looks at the socket again. */
    private static final long TX_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long FOREVER = Long.MAX_VALUE / 4;

    private final RpmsgDevice device;
    private final String name;
    private final String endpointName;
    private final SocketOptions options;
    private final boolean accepted;

    /** Guards everything below it; the serving thread takes it for each message, briefly. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled at every change a waiter may care about: data, credit, SYNC, end, failure. */
    private final Condition changed = lock.newCondition();
    /** Makes each write atomic with respect to other writes (taken before {@link #lock}). */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final SocketState st;
    private final Runnable txHook = this::txAvailable;

    private @Nullable RpmsgEndpoint endpoint;
    /** True while {@link #txHook} is registered with the device (set and cleared without the lock). */
    private final AtomicBoolean txHookOn = new AtomicBoolean();
    private volatile @Nullable SocketListener listener;

    private RpmsgSocket(RpmsgDevice device, String name, String endpointName, SocketOptions options,
            boolean accepted) {
        this.device = device;
        this.name = name;
        this.endpointName = endpointName;
        this.options = options;
        this.accepted = accepted;
        this.st = new SocketState(options.receiveBuffer());
    }

    /**
     * Starts connecting to the socket {@code name} on the other side of {@code device} and returns at once:
     * a stream socket creates the endpoint {@code "s:" + name + ":" + counter} (announced; a listener there
     * answers), a datagram socket {@code "s:" + name} (the other side opens the same name). Wait with
     * {@link #awaitConnected}; reads and writes wait for the connection themselves.
     *
     * @throws IllegalArgumentException for a bad name
     * @throws SocketException RESET when the device cannot take an endpoint (stopped, no TX buffer for the
     *     announcement)
     */
    public static RpmsgSocket connect(RpmsgDevice device, String name, SocketOptions options) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(options, "options");
        SocketNames.check(name);
        String endpointName = options.type() == SocketType.STREAM
                ? SocketNames.format(name, SocketNames.nextSuffix())
                : SocketNames.format(name);
        RpmsgSocket socket = new RpmsgSocket(device, name, endpointName, options, false);
        socket.open(() -> device.createEndpoint(endpointName, socket.new Handler()));
        return socket;
    }

    /**
     * {@link #connect(RpmsgDevice, String, SocketOptions)} and {@link #awaitConnected}: returns a connected
     * socket, or closes it and throws.
     *
     * @throws SocketException CONNECT_TIMEOUT when nobody answered within {@code timeout}; RESET when the
     *     peer refused (a full backlog) or the device stopped
     */
    public static RpmsgSocket connect(RpmsgDevice device, String name, SocketOptions options, Duration timeout) {
        RpmsgSocket socket = connect(device, name, options);
        boolean done = false;
        try {
            if (!socket.awaitConnected(timeout)) {
                throw new SocketException(Reason.CONNECT_TIMEOUT, "nobody answered " + socket + " within "
                        + timeout + " (does the other side listen on '" + name + "'?)");
            }
            done = true;
            return socket;
        } finally {
            if (!done) {
                socket.close();
            }
        }
    }

    /** A connection a listener accepted: an endpoint bound to the announced address, then our SYNC. */
    static RpmsgSocket accept(RpmsgDevice device, String listenName, String announced, int address,
            SocketOptions options, boolean sync) {
        RpmsgSocket socket = new RpmsgSocket(device, listenName, announced, options, true);
        socket.open(() -> device.createEndpoint(announced, RpmsgAddresses.ANY, address, socket.new Handler()));
        if (sync) {
            socket.sendSync();
        }
        return socket;
    }

    private void open(Supplier<RpmsgEndpoint> create) {
        RpmsgEndpoint ep;
        try {
            ep = create.get();
        } catch (RpmsgException e) {
            throw new SocketException(Reason.RESET, "cannot open " + this + ": " + e.getMessage(), e);
        }
        lock.lock();
        try {
            if (endpoint == null) {
                endpoint = ep;
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- what it is

    /** The socket name (as given, without "s:" or suffix). */
    public String name() {
        return name;
    }

    /** The rpmsg endpoint name on the wire. */
    public String endpointName() {
        return endpointName;
    }

    public SocketType type() {
        return options.type();
    }

    public SocketOptions options() {
        return options;
    }

    public RpmsgDevice device() {
        return device;
    }

    /** True for a connection a listener accepted, false for one we connected. */
    public boolean isAccepted() {
        return accepted;
    }

    /** The peer's receive window from its SYNC, 0 before it arrived. */
    public int peerWindow() {
        return locked(() -> st.peerWindow);
    }

    /** The peer's SYNC credentials, null before it arrived. */
    public @Nullable SocketCredentials peerCredentials() {
        return locked(() -> st.peerCredentials);
    }

    /** True once the peer's SYNC arrived, until the socket closes, fails or the peer's endpoint goes. */
    public boolean isConnected() {
        return locked(() -> st.peerWindow > 0 && !st.closed && st.failure == null && !st.unbound);
    }

    /** What broke the connection (a protocol error of the peer, a stopped device), or null. */
    public @Nullable SocketException failure() {
        return locked(() -> st.failure);
    }

    /** Bytes (datagrams: with their 4-byte prefixes) received and not yet read. */
    public int available() {
        return locked(() -> st.window.available());
    }

    /** How many bytes we may send right now (0 before the peer's SYNC). */
    public int credit() {
        return locked(() -> st.credit());
    }

    /**
     * Waits until the peer has acknowledged reading everything this socket sent, the connection ends or fails,
     * or {@code timeout} passes. For a side about to close the link under a connection: what it sent may still
     * be in the rings, and a link closed before the peer read it loses it. An rptun peer acknowledges its last
     * bytes once it has read to the end of this side's output ({@link #shutdownOutput()}); NuttX acknowledges
     * only each half window read, so against NuttX this may wait out {@code timeout}.
     *
     * @return true when everything sent was acknowledged
     * @throws SocketException INTERRUPTED
     */
    public boolean awaitAcknowledged(Duration timeout) {
        long end = deadline(timeout);
        lock.lock();
        try {
            while (st.sendPos != st.ackPos) {
                if (st.closed || st.unbound || st.failure != null || !await(end)) {
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** True when nothing more will be read: the input ended (after what arrived was read), closed or failed. */
    public boolean isInputDone() {
        return locked(() -> (inputEnded() && st.window.available() == 0) || st.closed || st.failure != null);
    }

    /**
     * Sets the one listener told about changes (replacing any earlier one); it is told once right away, so
     * that nothing that happened before is missed.
     */
    public void setListener(@Nullable SocketListener value) {
        listener = value;
        if (value != null) {
            value.readable();
            value.writable();
        }
    }

    /**
     * Waits until the peer's SYNC arrived.
     *
     * @return true when connected, false if {@code timeout} passed first
     * @throws SocketException RESET (refused, the device stopped), CLOSED, a protocol error, INTERRUPTED
     */
    public boolean awaitConnected(Duration timeout) {
        long end = deadline(timeout);
        lock.lock();
        try {
            while (true) {
                throwIfBroken();
                if (st.peerWindow > 0) {
                    return true;
                }
                if (st.unbound) {
                    throw new SocketException(Reason.RESET, this + " was refused (the peer's endpoint went away)");
                }
                if (!await(end)) {
                    return false;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes {@code length} bytes of {@code src} from {@code offset}. A stream splits them over as many DATA
     * messages as the TX buffers and the peer's window need, waiting for credit up to {@code timeout}; a
     * datagram socket sends them as one datagram, whole or not at all.
     *
     * @return how many bytes were written: all of them, or fewer (a datagram: 0) when {@code timeout} passed
     * @throws SocketException DATAGRAM_TOO_LARGE, OUTPUT_SHUT, PEER_SHUT_INPUT, RESET, CLOSED, a protocol
     *     error of the peer, INTERRUPTED
     */
    public int write(byte[] src, int offset, int length, Duration timeout) {
        Objects.checkFromIndexSize(offset, length, src.length);
        long end = deadline(timeout);
        if (!lockWriter(end)) {
            return 0;
        }
        try {
            if (options.type() == SocketType.DATAGRAM) {
                return sendDatagram(src, offset, length, end) ? length : 0;
            }
            int done = 0;
            while (done < length) {
                int n = sendSome(src, offset + done, length - done, end);
                if (n == 0) {
                    break;
                }
                done += n;
            }
            return done;
        } finally {
            writeLock.unlock();
        }
    }

    /** {@link #write(byte[], int, int, Duration)} of the whole array. */
    public int write(byte[] src, Duration timeout) {
        return write(src, 0, src.length, timeout);
    }

    /**
     * Writes all of {@code src} (a datagram socket: as one datagram), or throws.
     *
     * @throws SocketException TIMED_OUT when {@code timeout} passed first, saying how much went; the rest as
     *     {@link #write}
     */
    public void writeAll(byte[] src, Duration timeout) {
        int n = write(src, 0, src.length, timeout);
        if (n < src.length) {
            throw new SocketException(Reason.TIMED_OUT, this + " wrote " + n + " of " + src.length + " bytes within "
                    + timeout);
        }
    }

    /** One DATA of a stream: waits for credit and a TX buffer; 0 when the deadline passed first. */
    private int sendSome(byte[] src, int offset, int length, long end) {
        while (true) {
            if (!awaitCredit(1, end)) {
                return 0;
            }
            RpmsgTxBuffer buffer = takeTx(end);
            if (buffer == null) {
                return 0;
            }
            RpmsgTxBuffer unused = buffer; // given back after the unlock unless it goes out
            lock.lock();
            try {
                checkWritable();
                int n = Math.min(length, Math.min(st.credit(), buffer.capacity() - DATA_HEADER_BYTES));
                if (n <= 0) {
                    continue; // a later SYNC shrank the window meanwhile: wait for credit again
                }
                MemorySegment payload = buffer.payload();
                SocketMessageLayout.writeDataHeader(payload, st.window.consumed(), n);
                MemorySegment.copy(src, offset, payload, ValueLayout.JAVA_BYTE, DATA_HEADER_BYTES, n);
                unused = null;
                submit(buffer, DATA_HEADER_BYTES + n, n);
                return n;
            } finally {
                unlockThenRelease(unused);
            }
        }
    }

    private boolean sendDatagram(byte[] src, int offset, int length, long end) {
        int total = length + DATAGRAM_PREFIX_BYTES;
        int room = device.maxPayload() - DATA_HEADER_BYTES;
        if (total > room) {
            throw new SocketException(Reason.DATAGRAM_TOO_LARGE, "a datagram of " + length + " bytes does not fit one"
                    + " message of " + this + " (at most " + (room - DATAGRAM_PREFIX_BYTES) + ")");
        }
        if (!awaitCredit(total, end)) {
            return false;
        }
        RpmsgTxBuffer buffer = takeTx(end);
        if (buffer == null) {
            return false;
        }
        RpmsgTxBuffer unused = buffer; // given back after the unlock unless it goes out
        lock.lock();
        try {
            checkWritable();
            if (total > buffer.capacity() - DATA_HEADER_BYTES) {
                throw new SocketException(Reason.DATAGRAM_TOO_LARGE, "a datagram of " + length + " bytes does not"
                        + " fit a TX buffer of " + this);
            }
            MemorySegment payload = buffer.payload();
            SocketMessageLayout.writeDataHeader(payload, st.window.consumed(), length);
            payload.set(WireLayouts.LE_U32, DATA_HEADER_BYTES, length);
            MemorySegment.copy(src, offset, payload, ValueLayout.JAVA_BYTE, DATA_HEADER_BYTES + DATAGRAM_PREFIX_BYTES,
                    length);
            unused = null;
            submit(buffer, DATA_HEADER_BYTES + total, total);
            return true;
        } finally {
            unlockThenRelease(unused);
        }
    }

    /**
     * Under the lock, with a filled DATA: counts it and hands it to the ring. Sending under the lock keeps
     * the positions we acknowledge in the order they go out (the peer must never see ours go backwards).
     */
    private void submit(RpmsgTxBuffer buffer, int length, int counted) {
        try {
            buffer.send(length);
        } catch (RpmsgException e) {
            throw fromDevice(e);
        }
        st.sendPos += counted;
        st.lastAck = st.window.consumed();
    }

    /** Waits until {@code needed} bytes of credit are there; false at the deadline. */
    private boolean awaitCredit(int needed, long end) {
        lock.lock();
        try {
            while (true) {
                checkWritable();
                if (st.peerWindow > 0 && needed > st.peerWindow) {
                    throw new SocketException(Reason.DATAGRAM_TOO_LARGE, "a datagram of " + (needed
                            - DATAGRAM_PREFIX_BYTES) + " bytes (with its prefix) is larger than the peer's window of "
                            + st.peerWindow + " on " + this);
                }
                if (st.credit() >= needed) {
                    return true;
                }
                if (!await(end)) {
                    return false;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A TX buffer of the endpoint, waiting until the deadline; null then. */
    private @Nullable RpmsgTxBuffer takeTx(long end) {
        RpmsgEndpoint ep = boundEndpoint();
        try {
            RpmsgTxBuffer b = ep.tryTxBuffer();
            if (b != null) {
                return b;
            }
            while (true) {
                long remaining = end - System.nanoTime();
                if (remaining <= 0) {
                    // Not waiting: be told when one comes free, then look once more (none is missed).
                    wantTx();
                    return ep.tryTxBuffer();
                }
                try {
                    return ep.txBuffer(Duration.ofNanos(Math.min(remaining, TX_SLICE_NANOS)));
                } catch (RpmsgException e) {
                    if (e.reason() != RpmsgException.Reason.NO_TX_BUFFER) {
                        throw e;
                    }
                }
                lock.lock();
                try {
                    checkWritable();
                } finally {
                    lock.unlock();
                }
            }
        } catch (RpmsgException e) {
            throw fromDevice(e);
        }
    }

    private RpmsgEndpoint boundEndpoint() {
        lock.lock();
        try {
            checkWritable();
            return Objects.requireNonNull(endpoint);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: throws why nothing may be written now. */
    private void checkWritable() {
        SocketException why = null;
        if (st.closed) {
            why = new SocketException(Reason.CLOSED, this + " is closed");
        } else if (st.failure != null) {
            why = st.failure;
        } else if (st.outputShut) {
            why = new SocketException(Reason.OUTPUT_SHUT, "the output of " + this + " was shut down");
        } else if (st.unbound) {
            why = new SocketException(Reason.RESET, "the peer of " + this + " went away");
        } else if (st.peerShutInput) {
            why = new SocketException(Reason.PEER_SHUT_INPUT, "the peer of " + this + " reads no more");
        }
        if (why != null) {
            throw why;
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads what has arrived into {@code dst}: a stream up to {@code length} bytes, a datagram socket one
     * datagram (cut to {@code length}; the rest of it is dropped, as {@code recv} does). Waits up to
     * {@code timeout} for something to arrive.
     *
     * @return the bytes read; 0 when {@code timeout} passed first (or {@code length} is 0, or an empty
     *     datagram); -1 at the end of the input
     * @throws SocketException CLOSED, a protocol error of the peer, INTERRUPTED
     */
    public int read(byte[] dst, int offset, int length, Duration timeout) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        long end = deadline(timeout);
        int n;
        lock.lock();
        try {
            if (!awaitInput(end)) {
                return inputOver() ? -1 : 0;
            }
            if (options.type() == SocketType.DATAGRAM) {
                int size = st.window.peekIntLE();
                st.window.skip(DATAGRAM_PREFIX_BYTES);
                n = st.window.read(dst, offset, Math.min(size, length));
                st.window.skip(size - n);
            } else {
                n = st.window.read(dst, offset, length);
            }
        } finally {
            lock.unlock();
        }
        acknowledge();
        return n;
    }

    /**
     * Takes what has arrived: a stream everything that is there (at most the window), a datagram socket one
     * datagram. Waits up to {@code timeout}.
     *
     * @return the bytes, or null when {@code timeout} passed first or the input is over ({@link
     *     #isInputDone()} then says which)
     * @throws SocketException CLOSED, a protocol error of the peer, INTERRUPTED
     */
    public byte @Nullable [] receive(Duration timeout) {
        long end = deadline(timeout);
        byte[] data;
        lock.lock();
        try {
            if (!awaitInput(end)) {
                return null;
            }
            if (options.type() == SocketType.DATAGRAM) {
                int size = st.window.peekIntLE();
                st.window.skip(DATAGRAM_PREFIX_BYTES);
                data = new byte[size];
            } else {
                data = new byte[st.window.available()];
            }
            st.window.read(data, 0, data.length);
        } finally {
            lock.unlock();
        }
        acknowledge();
        return data;
    }

    /** Under the lock: waits until something can be read (true) or the input is over or time is up (false). */
    private boolean awaitInput(long end) {
        while (true) {
            if (st.closed) {
                throw new SocketException(Reason.CLOSED, this + " is closed");
            }
            if (st.failure != null) {
                throw st.failure;
            }
            if (st.window.available() > 0 && !st.inputShut) {
                return true;
            }
            if (inputEnded()) {
                return false;
            }
            if (!await(end)) {
                return false;
            }
        }
    }

    private boolean inputEnded() {
        return st.peerShutOutput || st.unbound || st.inputShut;
    }

    private boolean inputOver() {
        return locked(() -> inputEnded() && (st.window.available() == 0 || st.inputShut));
    }

    /**
     * Sends our read position alone when more than half the window was read since the last acknowledgement
     * (NuttX's {@code rpmsg_socket_wakeup}). Never waits: with no TX buffer free it asks to be told of one.
     */
    private void acknowledge() {
        acknowledge(false);
    }

    /**
     * {@link #acknowledge()}; with {@code briefly}, for the TX-available hook, it waits at most about a
     * millisecond for this socket's lock and returns false if it could not get it. The hook runs on whichever
     * thread gave back a TX buffer, and that thread may hold another socket's lock while this socket's holder
     * waits for that one: waiting without a bound could be waiting for each other.
     */
    private boolean acknowledge(boolean briefly) {
        RpmsgEndpoint ep;
        if (!lock(briefly)) {
            return false;
        }
        try {
            if (!ackDue()) {
                return true;
            }
            ep = endpoint;
        } finally {
            lock.unlock();
        }
        if (ep == null) {
            return true;
        }
        RpmsgTxBuffer buffer;
        try {
            buffer = ep.tryTxBuffer();
            if (buffer == null) {
                wantTx();
                buffer = ep.tryTxBuffer();
            }
        } catch (RpmsgException e) {
            return true; // the endpoint or the device went away: its listener tells us
        }
        if (buffer == null) {
            return true; // the hook is on: a TX buffer coming free brings us back
        }
        if (!lock(briefly)) {
            buffer.release();
            return false;
        }
        RpmsgTxBuffer unused = buffer; // a DATA carried the acknowledgement meanwhile
        try {
            if (!ackDue()) {
                return true;
            }
            SocketMessageLayout.writeDataHeader(buffer.payload(), st.window.consumed(), 0);
            unused = null;
            buffer.send(DATA_HEADER_BYTES);
            st.lastAck = st.window.consumed();
        } catch (RpmsgException e) {
            LOG.debug("{}: acknowledgement not sent: {}", this, e.getMessage());
        } finally {
            unlockThenRelease(unused);
        }
        return true;
    }

    /** Takes the lock; with {@code briefly}, tries for about a millisecond and says whether it got it. */
    private boolean lock(boolean briefly) {
        if (!briefly) {
            lock.lock();
            return true;
        }
        for (int i = 0; i < 100; i++) {
            if (lock.tryLock()) {
                return true;
            }
            LockSupport.parkNanos(10_000);
        }
        return false;
    }

    private boolean ackDue() {
        if (st.closed || st.unbound || st.failure != null || endpoint == null || !endpoint.isBound()) {
            return false;
        }
        int unacknowledged = st.window.consumed() - st.lastAck;
        // NuttX's rule (more than half the window read since the last acknowledgement), and one more: once the
        // peer has shut its output and everything it sent was read, say so, so that a peer waiting to know
        // its last bytes were read (awaitAcknowledged) need not wait for a half window that never comes.
        return unacknowledged > st.window.capacity() / 2
                || (unacknowledged != 0 && st.peerShutOutput && st.window.available() == 0);
    }

    /**
     * Lets go of the lock, then gives back a TX buffer that did not go out. In that order: giving one back tells
     * the device's TX-available listeners on this thread, among them other sockets, which take their own locks;
     * two sockets doing that while holding their own would wait for each other for ever.
     */
    private void unlockThenRelease(@Nullable RpmsgTxBuffer unused) {
        lock.unlock();
        if (unused != null) {
            unused.release();
        }
    }

    /**
     * Asks the device to tell {@link #txAvailable} when TX buffers may have come free. Takes no lock: it runs
     * inside that hook too. On a closed socket the next call of the hook finds nothing due and unregisters it.
     */
    private void wantTx() {
        if (txHookOn.compareAndSet(false, true)) {
            device.addTxAvailableListener(txHook);
        }
    }

    /**
     * TX buffers may have come free (on whichever thread gave one back). Takes no lock without a bound: if this
     * socket's lock stays busy, the acknowledgement waits for the next TX buffer to come free.
     */
    private void txAvailable() {
        if (!txHookOn.compareAndSet(true, false)) {
            return;
        }
        device.removeTxAvailableListener(txHook);
        if (!acknowledge(true)) {
            wantTx();
        }
        SocketListener l = listener;
        if (l != null) {
            l.writable();
        }
    }

    // ---------------------------------------------------------------- ending

    /** Sends SHUTDOWN with SHUT_WR: the peer reads to the end, then sees the end of its input. Idempotent. */
    public void shutdownOutput() {
        shutdown(SHUT_WR);
    }

    /** Sends SHUTDOWN with SHUT_RD: what arrives is dropped (and acknowledged), the peer's writes fail. */
    public void shutdownInput() {
        shutdown(SHUT_RD);
    }

    private void shutdown(int how) {
        RpmsgEndpoint ep;
        writeLock.lock();
        try {
            lock.lock();
            try {
                if (st.closed || st.unbound || st.failure != null || ((how & SHUT_WR) != 0 ? st.outputShut : st.inputShut)) {
                    return;
                }
                if ((how & SHUT_WR) != 0) {
                    st.outputShut = true;
                } else {
                    st.inputShut = true;
                    st.window.discard();
                }
                ep = endpoint;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (ep != null && ep.isBound()) {
                byte[] msg = new byte[SHUTDOWN_BYTES];
                SocketMessageLayout.writeShutdown(MemorySegment.ofArray(msg), how);
                try {
                    ep.send(msg);
                } catch (RpmsgException e) {
                    throw fromDevice(e);
                }
            }
        } finally {
            writeLock.unlock();
        }
        notifyListener();
        acknowledge();
    }

    /**
     * Closes the connection: destroys its endpoint (the peer sees it go: its end of stream) and forgets what
     * was not read. Everything sent before is on the ring first. Idempotent.
     */
    @Override
    public void close() {
        RpmsgEndpoint ep;
        lock.lock();
        try {
            if (st.closed) {
                return;
            }
            st.closed = true;
            st.window.discard();
            ep = endpoint;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        device.removeTxAvailableListener(txHook);
        if (ep != null) {
            ep.destroy();
        }
        notifyListener();
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return locked(() -> st.closed);
    }

    /** Breaks the connection for good with {@code why}: its endpoint goes, every waiter and later call throws. */
    private void fail(SocketException why) {
        RpmsgEndpoint ep;
        lock.lock();
        try {
            if (st.closed || st.failure != null) {
                return;
            }
            st.failure = why;
            st.window.discard();
            ep = endpoint;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.warn("{}: {}", this, why.getMessage());
        device.removeTxAvailableListener(txHook);
        if (ep != null) {
            ep.destroy();
        }
        notifyListener();
    }

    // ---------------------------------------------------------------- streams

    /** A blocking {@link InputStream} over a stream socket (waits without limit; -1 at the end). */
    public InputStream inputStream() {
        requireStream();
        return new SocketStreams.In(this);
    }

    /** A blocking {@link OutputStream} over a stream socket; {@code close()} shuts the output down. */
    public OutputStream outputStream() {
        requireStream();
        return new SocketStreams.Out(this);
    }

    private void requireStream() {
        if (options.type() != SocketType.STREAM) {
            throw new SocketException(Reason.WRONG_TYPE, this + " is a datagram socket");
        }
    }

    // ---------------------------------------------------------------- inbound (the serving thread)

    private void sendSync() {
        RpmsgEndpoint ep;
        lock.lock();
        try {
            if (st.syncSent || st.closed || st.failure != null) {
                return;
            }
            st.syncSent = true;
            ep = endpoint;
        } finally {
            lock.unlock();
        }
        if (ep == null) {
            return;
        }
        byte[] msg = new byte[SYNC_BYTES];
        SocketCredentials me = options.credentials();
        SocketMessageLayout.writeSync(MemorySegment.ofArray(msg), options.receiveBuffer(), me.pid(), me.uid(),
                me.gid());
        try {
            ep.send(msg);
        } catch (RpmsgException e) {
            fail(fromDevice(e));
        }
    }

    private void onMessage(RpmsgMessage message) {
        SocketState.Outcome o;
        lock.lock();
        try {
            if (st.closed || st.failure != null) {
                return;
            }
            o = st.apply(message.payload(), message.length(), options);
            if (o.bad() == null && o.changed()) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (o.bad() != null) {
            fail(new SocketException(o.bad().reason(), "the peer of " + this + " broke the protocol: "
                    + o.bad().getMessage()));
            return;
        }
        SocketListener l = listener;
        if (l != null) {
            if (o.arrived() || o.ended()) {
                l.readable();
            }
            if (o.credited() || o.ended()) {
                l.writable();
            }
        }
        if (o.discarded() || o.ended()) {
            acknowledge();
        }
    }

    private void onUnbind() {
        lock.lock();
        try {
            st.unbound = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        notifyListener();
    }

    private SocketException protocol(Reason reason, String what) {
        return new SocketException(reason, "the peer of " + this + " broke the protocol: " + what);
    }

    private SocketException fromDevice(RpmsgException e) {
        if (e.reason() == RpmsgException.Reason.INTERRUPTED) {
            return new SocketException(Reason.INTERRUPTED, e.getMessage(), e);
        }
        lock.lock();
        try {
            if (st.closed) {
                return new SocketException(Reason.CLOSED, this + " is closed", e);
            }
            if (st.failure != null) {
                return st.failure;
            }
        } finally {
            lock.unlock();
        }
        return new SocketException(Reason.RESET, this + ": " + e.getMessage(), e);
    }

    private void notifyListener() {
        SocketListener l = listener;
        if (l != null) {
            l.readable();
            l.writable();
        }
    }

    // ---------------------------------------------------------------- waiting

    private void throwIfBroken() {
        if (st.closed) {
            throw new SocketException(Reason.CLOSED, this + " is closed");
        }
        if (st.failure != null) {
            throw st.failure;
        }
    }

    private boolean lockWriter(long end) {
        try {
            long remaining = end - System.nanoTime();
            return remaining <= 0 ? writeLock.tryLock() : writeLock.tryLock(remaining, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Reason.INTERRUPTED, "interrupted waiting to write on " + this);
        }
    }

    /** Under the lock: waits for a change until {@code end}; false when the time is up. */
    private boolean await(long end) {
        long remaining = end - System.nanoTime();
        if (remaining <= 0) {
            return false;
        }
        try {
            changed.awaitNanos(remaining);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Reason.INTERRUPTED, "interrupted waiting on " + this);
        }
    }

    private static long deadline(Duration timeout) {
        long now = System.nanoTime();
        if (timeout.isNegative() || timeout.isZero()) {
            return now;
        }
        long nanos = timeout.compareTo(Duration.ofNanos(FOREVER)) >= 0 ? FOREVER : timeout.toNanos();
        return now + nanos;
    }

    @Override
    public String toString() {
        return (options.type() == SocketType.STREAM ? "stream" : "datagram") + " socket '" + endpointName + "' on "
                + device.options().name();
    }

    /** The endpoint's callbacks, on the serving thread. */
    private final class Handler implements RpmsgListener {
        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage message) {
            lock.lock();
            try {
                if (endpoint == null) {
                    endpoint = ep;
                }
            } finally {
                lock.unlock();
            }
            RpmsgSocket.this.onMessage(message);
        }

        @Override
        public void onBound(RpmsgEndpoint ep) {
            lock.lock();
            try {
                if (endpoint == null) {
                    endpoint = ep;
                }
            } finally {
                lock.unlock();
            }
            sendSync();
        }

        @Override
        public void onUnbind(RpmsgEndpoint ep) {
            RpmsgSocket.this.onUnbind();
        }
    }

    /** Reads connection state under the connection lock. */
    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }
}
