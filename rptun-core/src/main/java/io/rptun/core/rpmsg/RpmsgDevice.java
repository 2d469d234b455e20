package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rpmsg vdev over virtio (two vrings) in either role: the {@link Role#HOST} is the virtio driver,
 * the {@link Role#REMOTE} the virtio device (docs/protocols.md section 3). Holds the endpoints and runs the
 * name service.
 *
 * <h2>Start-up</h2>
 * {@link #host} does the driver's handshake at once: it resets the status, writes gfeatures
 * ({@code dfeatures & options.features}) and kicks, clears both vrings, posts every RX buffer to vring 0
 * (allocated from the carveout heap, device-writable, len = buffer size), writes DRIVER_OK and kicks.
 * {@link #remote} waits: each {@link #process()} looks for DRIVER_OK, and only then does the device touch
 * a ring. Buffer sizes come from {@code fw_rsc_config} (h2r for the host's TX, r2h for its RX) when F_BUFSZ
 * is negotiated and the vdev has that config, else 512.
 *
 * <h2>Threads</h2>
 * Sending ({@link RpmsgEndpoint#send} and friends) is safe from any thread and lock-free while TX buffers
 * are free (the {@link VirtqueuePort} machinery). Receiving happens in {@link #process()}: whoever calls it
 * (an {@link RpmsgRunner}, woken by the peer's kicks, or the application's own poll loop) takes the RX
 * buffers and runs the endpoint callbacks, one at a time; a second thread calling it meanwhile returns 0.
 * A send that finds no TX buffer waits up to {@link RpmsgOptions#sendTimeout()}; when it is the serving
 * thread itself (a send from a callback), it keeps serving RX while it waits, so two sides sending from
 * their callbacks cannot deadlock.
 *
 * <h2>The peer is untrusted</h2>
 * A ring the peer corrupts breaks the device ({@link State#BROKEN}, {@link Reason#DEVICE_BROKEN} with the
 * {@link VringException} as cause). A malformed message (a header whose {@code len} runs past its buffer,
 * an unknown destination, a name-service message of the wrong size or with unknown flags) is dropped,
 * counted ({@link #stats()}), reported to the {@link DropListener}, and its buffer returned; the device
 * keeps serving the others. The message length is {@code hdr.len}, never {@code used.len}.
 */
public final class RpmsgDevice implements AutoCloseable {
    /** Which side of the vdev. */
    public enum Role {
        /** RPTUN master: the virtio driver; vring 0 is its RX, vring 1 its TX. */
        HOST,
        /** The virtio device; vring 0 is its TX, vring 1 its RX. */
        REMOTE
    }

    /** Where the device is in its life. The last three are final. */
    public enum State {
        /** A remote waiting for the host's DRIVER_OK. */
        STARTING,
        /** Both sides up. */
        READY,
        /** The peer corrupted a ring. */
        BROKEN,
        /** The remote died or was declared lost ({@link #peerLost}). */
        PEER_LOST,
        /** Closed locally. */
        CLOSED
    }

    static final long TRY = -1;
    private static final long DISPATCHER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    private final Role role;
    private final SharedRegion region;
    private final LiveResourceTable table;
    private final @Nullable CarveoutHeap heap;
    private final PeerNotifier notifier;
    private final RpmsgOptions options;
    private final String name;
    private final int vdev;
    private final RpmsgVdev vdevInfo;
    private final long sendTimeoutNanos;
    private volatile State state = State.STARTING;
    private volatile @Nullable RpmsgException failure;
    private volatile @Nullable RpmsgLink link;
    /** Set first thing by {@link #close()}: no NS create or ack may follow the destroys it sends. */
    private volatile boolean closing;
    private volatile Runnable wakeup = () -> {
    };

    private final Object lock = new Object();
    private final EndpointRegistry registry;
    private final RpmsgNameService nameService;
    private final List<Long> hostBuffers = new ArrayList<>();

    private final ReentrantLock dispatchLock = new ReentrantLock();
    private final RpmsgInbound inbound;

    private final TxWait txWait;
    private final AtomicInteger txAllocated = new AtomicInteger();

    private final LongAdder sent = new LongAdder();
    /** Payload bytes sent through the queued path (the held paths count theirs in {@link #heldBytes}). */
    private final LongAdder sentBytes = new LongAdder();
    /**
     * Payload bytes sent by threads holding the TX ring (the copying fast path and batches): a plain field,
     * written only by the ring's holder (holds are ordered by the port's atomic hand-over), read racily.
     */
    private long heldBytes;
    private final DeviceHooks hooks = new DeviceHooks(this);
    private final Notifications notifications = new Notifications(this);
    private final AtomicLongArray drops = new AtomicLongArray(Reason.values().length);

    private RpmsgDevice(Role role, SharedRegion region, LiveResourceTable table, @Nullable CarveoutHeap heap,
            PeerNotifier notifier, RpmsgOptions options) {
        this.role = role;
        this.region = Objects.requireNonNull(region, "region");
        this.table = Objects.requireNonNull(table, "table");
        this.heap = heap;
        this.notifier = Objects.requireNonNull(notifier, "notifier");
        this.options = Objects.requireNonNull(options, "options");
        this.name = options.name();
        this.vdev = options.vdev();
        this.sendTimeoutNanos = options.sendTimeout().toNanos();
        this.vdevInfo = new RpmsgVdev(role, region, table, vdev, this.notifier, name);
        this.registry = new EndpointRegistry(name);
        this.nameService = new RpmsgNameService(this, registry, lock);
        int rxNum = vdevInfo.rxNum();
        this.inbound = new RpmsgInbound(this, registry, nameService, rxNum, options.rxBatch());
        this.txWait = new TxWait(this, inbound, notifications, dispatchLock);
    }

    /**
     * The host (virtio driver) of the table's rpmsg vdev, started: the handshake above has been done when
     * this returns. The memory plan must have been applied (vring addresses written back into the table).
     *
     * @param heap the carveout heap the RX and TX buffers come from (the vdev's {@code MemoryPlan.heap})
     * @param notifier rings the remote
     * @throws RpmsgException BAD_VDEV (no rpmsg vdev, vrings outside the region, bad buffer sizes),
     *     HEAP_EXHAUSTED (the RX buffers do not fit; nothing stays allocated)
     */
    public static RpmsgDevice host(SharedRegion region, LiveResourceTable table, CarveoutHeap heap,
            PeerNotifier notifier, RpmsgOptions options) {
        RpmsgDevice device = new RpmsgDevice(Role.HOST, region, table, Objects.requireNonNull(heap, "heap"), notifier,
                options);
        device.startHost();
        return device;
    }

    /**
     * The remote (virtio device) of the table's rpmsg vdev, in {@link State#STARTING} until
     * {@link #process()} sees the host's DRIVER_OK (or {@link #awaitReady} does). Endpoints may be created
     * before that; their announcements go out once ready.
     */
    public static RpmsgDevice remote(SharedRegion region, LiveResourceTable table, PeerNotifier notifier,
            RpmsgOptions options) {
        return new RpmsgDevice(Role.REMOTE, region, table, null, notifier, options);
    }

    // ---------------------------------------------------------------- start-up

    private void startHost() {
        CarveoutHeap h = Objects.requireNonNull(heap);
        table.setStatus(vdev, 0);
        int features = table.dfeatures(vdev) & options.features();
        table.setGfeatures(vdev, features);
        notifier.notify(PeerNotifier.ALL);
        Vring rxRing = vdevInfo.vring(0);
        Vring txRing = vdevInfo.vring(1);
        rxRing.clear();
        txRing.clear();
        RpmsgLink l = vdevInfo.link(features,
                VirtqueuePort.driver(name + ".tx", txRing, region, Mode.SEND, vdevInfo.kick(1)),
                VirtqueuePort.driver(name + ".rx", rxRing, region, Mode.RECEIVE, vdevInfo.kick(0)));
        synchronized (lock) {
            for (int i = 0; i < rxRing.num(); i++) {
                VringBuffer b = l.rx().allocateBuffer(h, l.rxBufferSize());
                if (b == null) {
                    freeHostBuffers();
                    throw new RpmsgException(Reason.HEAP_EXHAUSTED, name + ": the heap (" + h.stats() + ") cannot hold "
                            + rxRing.num() + " RX buffers of " + l.rxBufferSize() + " bytes");
                }
                hostBuffers.add(b.offset());
                l.rx().stage(b);
            }
        }
        l.rx().flush();
        link = l;
        // The posted RX buffers and the cleared rings must be visible before DRIVER_OK (release store).
        table.setStatus(vdev, RpmsgAddresses.STATUS_DRIVER_OK);
        state = State.READY;
        notifier.notify(PeerNotifier.ALL);
    }

    /** Remote: if the host said DRIVER_OK, attaches to the rings and announces; true when READY. */
    private boolean tryStart() {
        // Acquire: everything the host did before DRIVER_OK (rings cleared, RX buffers posted) is visible.
        if ((table.status(vdev) & RpmsgAddresses.STATUS_DRIVER_OK) == 0) {
            return false;
        }
        int features = table.gfeatures(vdev);
        RpmsgLink l;
        try {
            Vring txRing = vdevInfo.vring(0);
            Vring rxRing = vdevInfo.vring(1);
            long from = vdevInfo.bufferWindowStart(txRing, rxRing);
            long to = vdevInfo.bufferWindowEnd();
            if (from >= to) {
                throw new IllegalArgumentException("no room for buffers between 0x" + Long.toHexString(from)
                        + " and 0x" + Long.toHexString(to));
            }
            l = vdevInfo.link(features,
                    VirtqueuePort.device(name + ".tx", txRing, region, from, to, Mode.SEND, vdevInfo.kick(0)),
                    VirtqueuePort.device(name + ".rx", rxRing, region, from, to, Mode.RECEIVE, vdevInfo.kick(1)));
        } catch (AddressException | IllegalArgumentException e) {
            fail(State.BROKEN, new RpmsgException(Reason.BAD_VDEV, name + ": the host's vdev " + vdev
                    + " does not fit the shared memory: " + e.getMessage(), e));
            return false;
        } catch (RpmsgException e) {
            fail(State.BROKEN, e);
            return false;
        }
        synchronized (lock) {
            if (state != State.STARTING) {
                return false;
            }
            link = l;
            state = State.READY;
        }
        for (RpmsgEndpoint ep : endpoints()) {
            try {
                nameService.announce(l, ep);
            } catch (RpmsgException e) {
                LOG.warn("{}: could not announce {}: {}", name, ep, e.getMessage());
            }
        }
        return true;
    }

    /**
     * Waits until the device is READY: a remote until the host's DRIVER_OK, serving the device itself
     * while it waits (harmless next to an {@link RpmsgRunner}).
     *
     * @return true when ready, false if {@code timeout} passed first
     * @throws RpmsgException if it never can be (BROKEN, PEER_LOST, CLOSED); INTERRUPTED
     */
    public boolean awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (state != State.READY) {
            checkAlive();
            process();
            if (state == State.READY) {
                break;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(DISPATCHER_WAIT_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new RpmsgException(Reason.INTERRUPTED, name + ": interrupted waiting for DRIVER_OK");
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- receiving

    /**
     * Serves the device once: a remote looks for DRIVER_OK; then every message the peer sent is taken
     * from the RX ring and handed to its endpoint's listener on this thread, and the buffers go back.
     * Call it when the peer kicks (an {@link RpmsgRunner} does). Returns at once with 0 when another
     * thread is serving, or the device is not (or no longer) READY.
     *
     * @return the number of inbound buffers handled (delivered or dropped)
     * @throws RpmsgException DEVICE_BROKEN when a ring turned out corrupt (the device is BROKEN from now on)
     */
    public int process() {
        if (!dispatchLock.tryLock()) {
            return 0;
        }
        try {
            return processOwned();
        } finally {
            dispatchLock.unlock();
            // The pass may have taken back TX buffers (the peer's kick that woke it says so): tell whoever
            // waits for one without a thread of its own. Outside the dispatch lock: it may send.
            hooks.fireTxAvailable();
        }
    }

    private int processOwned() {
        if (state == State.STARTING && (role != Role.REMOTE || !tryStart())) {
            return 0;
        }
        RpmsgLink l = link;
        if (state != State.READY || l == null) {
            return 0;
        }
        try {
            return inbound.serve(l);
        } catch (VringException e) {
            throw broken(e);
        } finally {
            txWait.signal();
        }
    }

    /**
     * Gives a released RX buffer back to the peer, from any thread (the serving thread gives back the ones it
     * delivered in batches, see {@link RpmsgInbound}).
     */
    void returnRx(VringBuffer buffer) {
        RpmsgLink l = link;
        if (l == null || state != State.READY) {
            return; // the rings are gone or no longer ours to write
        }
        try {
            l.rx().submit(buffer);
        } catch (VringException e) {
            broken(e);
        }
    }

    // ---------------------------------------------------------------- name service

    /** Sends a name-service message for {@code ep}, waiting up to {@code timeoutNanos} for a TX buffer. */
    void sendNs(RpmsgLink l, RpmsgEndpoint ep, int flags, long timeoutNanos) {
        VringBuffer b = acquireTx(l, timeoutNanos);
        if (b == null) {
            throw new RpmsgException(Reason.NO_TX_BUFFER, name + ": no TX buffer for the name-service message of "
                    + ep);
        }
        if (b.capacity() < RpmsgHeaderLayout.SIZE + RpmsgNsMessageLayout.SIZE) {
            l.tx().release(b);
            throw tooLarge(RpmsgNsMessageLayout.SIZE, b.capacity() - RpmsgHeaderLayout.SIZE);
        }
        RpmsgNsMessageLayout.write(b.segment().asSlice(RpmsgHeaderLayout.SIZE, RpmsgNsMessageLayout.SIZE), ep.name(),
                ep.address(), flags);
        // A create or an ack must not reach the ring after the endpoint's NS destroy (the peer would bind to
        // a dead address): every NS message is queued under the endpoint's monitor, which destroy takes to
        // mark it destroyed (and close to send its destroys after setting 'closing') before the destroy is
        // queued. Only the queueing is inside: the wait for a buffer is not.
        synchronized (ep) {
            if (flags != RpmsgNsMessageLayout.DESTROY && (ep.isDestroyed() || closing)) {
                l.tx().release(b);
                return;
            }
            stageTx(l, b, ep.address(), RpmsgAddresses.NS_ADDR, RpmsgNsMessageLayout.SIZE);
        }
        flushTx(l);
    }

    void sendNsQuietly(RpmsgLink l, RpmsgEndpoint ep, int flags) {
        try {
            sendNs(l, ep, flags, sendTimeoutNanos);
        } catch (RpmsgException e) {
            LOG.warn("{}: name-service message {} for {} not sent: {}", name, flags, ep, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- endpoints

    /** A named endpoint at the next free address, destination ANY (bound by the name service). */
    public RpmsgEndpoint createEndpoint(String name, RpmsgListener listener) {
        return createEndpoint(name, RpmsgAddresses.ANY, RpmsgAddresses.ANY, listener);
    }

    /**
     * An endpoint.
     *
     * @param name the service name, "" for none (at most 31 UTF-8 bytes)
     * @param src the local address, or ANY for the next free one from 1024 up
     * @param dst the remote address, or ANY to be bound by the name service or the first message
     * @throws RpmsgException BAD_NAME, ADDRESS_IN_USE, NO_ADDRESS; BROKEN/PEER_LOST/CLOSED states; and when
     *     the announcement cannot be sent (the endpoint is then gone again)
     */
    public RpmsgEndpoint createEndpoint(String name, int src, int dst, RpmsgListener listener) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listener, "listener");
        try {
            RpmsgNsMessageLayout.nameBytes(name);
        } catch (IllegalArgumentException e) {
            throw new RpmsgException(Reason.BAD_NAME, e.getMessage(), e);
        }
        RpmsgEndpoint ep;
        int remembered;
        synchronized (lock) {
            checkAlive();
            ep = registry.register(this, name, src, dst, listener);
            // Read under the lock: once it is released the name service may bind the endpoint itself (and
            // call onBound), which must not be taken for a binding from a remembered announcement.
            remembered = dst == RpmsgAddresses.ANY ? ep.destination() : RpmsgAddresses.ANY;
        }
        int changes = ep.destinationChanges();
        RpmsgLink l = link;
        if (state == State.READY && l != null) {
            try {
                nameService.announce(l, ep);
            } catch (RpmsgException e) {
                unregister(ep);
                throw e;
            }
        }
        if (remembered != RpmsgAddresses.ANY) {
            // Bound from an announcement that came first: tell the listener like any other binding, one
            // callback at a time, unless the name service changed the destination meanwhile (it then told
            // the listener itself).
            dispatchLock.lock();
            try {
                if (ep.destinationChanges() == changes) {
                    fireBound(ep);
                }
            } finally {
                dispatchLock.unlock();
            }
        }
        return ep;
    }

    private boolean unregister(RpmsgEndpoint ep) {
        synchronized (lock) {
            return registry.unregister(ep);
        }
    }

    void destroy(RpmsgEndpoint ep) {
        if (!unregister(ep)) {
            return;
        }
        RpmsgLink l = link;
        if (state == State.READY && l != null && !ep.name().isEmpty() && l.has(RpmsgAddresses.F_NS)) {
            sendNsQuietly(l, ep, RpmsgNsMessageLayout.DESTROY);
        }
        awaitNoCallback();
    }

    /** Returns once no callback is running (callbacks run only under the dispatch lock). */
    private void awaitNoCallback() {
        if (!dispatchLock.isHeldByCurrentThread()) {
            dispatchLock.lock();
            dispatchLock.unlock();
        }
    }

    /** The endpoint at {@code address}, or null. */
    public @Nullable RpmsgEndpoint endpoint(int address) {
        return registry.get(address);
    }

    /** Every endpoint, in creation order. */
    public List<RpmsgEndpoint> endpoints() {
        synchronized (lock) {
            return registry.all();
        }
    }

    /** The services the remote announced and has not destroyed: name to remote address. */
    public Map<String, Integer> remoteServices() {
        synchronized (lock) {
            return registry.services();
        }
    }

    /**
     * Registers {@code listener} for the remote's name-service changes (see {@link RpmsgServiceListener})
     * and returns the services known at that moment: the listener hears of every change after that
     * snapshot and of none before it. On a device that already stopped it hears nothing: check
     * {@link #failure()} after adding it.
     */
    public Map<String, Integer> addServiceListener(RpmsgServiceListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            hooks.addServiceListener(listener);
            return registry.services();
        }
    }

    /** Removes a listener added by {@link #addServiceListener}; false if it was not there. */
    public boolean removeServiceListener(RpmsgServiceListener listener) {
        synchronized (lock) {
            return hooks.removeServiceListener(listener);
        }
    }

    DeviceHooks hooks() {
        return hooks;
    }

    void fireBound(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return;
        }
        try {
            ep.listener().onBound(ep);
        } catch (RuntimeException | Error e) {
            callbackFailed(ep, "onBound", e);
        }
    }

    void fireUnbind(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return;
        }
        try {
            ep.listener().onUnbind(ep);
        } catch (RuntimeException | Error e) {
            callbackFailed(ep, "onUnbind", e);
        }
    }

    // ---------------------------------------------------------------- sending

    long sendTimeoutNanos() {
        return sendTimeoutNanos;
    }

    /** The largest payload of one message (TX buffer size minus the 16-byte header). */
    public int maxPayload() {
        RpmsgLink l = link;
        if (l != null) {
            return l.maxPayload();
        }
        return RpmsgAddresses.DEFAULT_BUFFER_SIZE - RpmsgHeaderLayout.SIZE;
    }

    boolean send(RpmsgEndpoint ep, int dst, MemorySegment data, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        long length = data.byteSize();
        if (length > l.maxPayload()) {
            throw tooLarge(length, l.maxPayload());
        }
        if (sendOwned(l, ep, dst, data, length)) {
            return true;
        }
        VringBuffer b = acquireTx(l, timeoutNanos);
        if (b == null) {
            return false;
        }
        if (ep.isDestroyed()) {
            // Destroyed while this send waited for the buffer: its address may already be someone else's.
            l.tx().release(b);
            hooks.fireTxAvailable();
            throw ep.destroyedError();
        }
        if (RpmsgHeaderLayout.SIZE + length > b.capacity()) {
            l.tx().release(b);
            throw tooLarge(length, b.capacity() - RpmsgHeaderLayout.SIZE);
        }
        MemorySegment.copy(data, 0, b.segment(), RpmsgHeaderLayout.SIZE, length);
        submitTx(l, b, ep.address(), dst, (int) length);
        return true;
    }

    /**
     * The fast path of a copying send: one hold of the TX ring takes a free buffer, fills it and publishes it
     * (no queue operation, no read-modify-write but the ring's own). False, holding nothing, when no buffer
     * is free right now or another thread holds the ring: then the queued path does the rest (waiting,
     * growing the host's pool, the remote's check of short buffers).
     */
    private boolean sendOwned(RpmsgLink l, RpmsgEndpoint ep, int dst, MemorySegment data, long length) {
        VringBuffer b;
        try {
            b = l.tx().acquireOwned();
        } catch (VringException e) {
            throw broken(e);
        }
        if (b == null) {
            return false;
        }
        try {
            if (b.capacity() < l.txBufferSize() || RpmsgHeaderLayout.SIZE + length > b.capacity()) {
                l.tx().releaseOwned(b); // the queued path deals with a short buffer (remote) or says why
                return false;
            }
            MemorySegment.copy(data, 0, b.segment(), RpmsgHeaderLayout.SIZE, length);
            RpmsgHeaderLayout.write(b.segment(), ep.address(), dst, (int) length);
            // The driver's TX descriptors carry the whole buffer; the device's used.len says what it wrote.
            b.length(role == Role.HOST ? (int) b.capacity() : RpmsgHeaderLayout.SIZE + (int) length);
            heldBytes += length;
        } catch (RuntimeException | Error e) {
            l.tx().releaseOwned(b);
            throw e;
        }
        try {
            l.tx().submitOwned(b);
        } catch (VringException e) {
            throw broken(e);
        }
        return true;
    }

    @Nullable RpmsgTxBuffer txBuffer(RpmsgEndpoint ep, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = readyLink();
        VringBuffer b = acquireTx(l, timeoutNanos);
        if (b == null) {
            return null;
        }
        long room = b.capacity() - RpmsgHeaderLayout.SIZE;
        if (room < 0) {
            l.tx().release(b);
            throw tooLarge(0, room);
        }
        return new RpmsgTxBuffer(ep, b, (int) Math.min(room, l.maxPayload()));
    }

    void sendFilled(RpmsgEndpoint ep, VringBuffer buffer, int dst, int length) {
        RpmsgLink l = Objects.requireNonNull(link);
        RpmsgException refused = null;
        if (ep.isDestroyed()) {
            refused = ep.destroyedError();
        } else if (state != State.READY) {
            refused = unusable(); // before NOT_BOUND: a lost peer unbinds every endpoint, and should say so
        } else if (dst == RpmsgAddresses.ANY) {
            refused = new RpmsgException(Reason.NOT_BOUND, ep + " has no destination yet");
        }
        if (refused != null) {
            l.tx().release(buffer);
            hooks.fireTxAvailable();
            throw refused;
        }
        submitTx(l, buffer, ep.address(), dst, length);
    }

    /**
     * {@link RpmsgEndpoint#trySendWith}: takes a TX buffer if one is free now, lets {@code writer} fill its
     * payload in place and sends it, with no {@link RpmsgTxBuffer} handle. Once the buffer is taken, whatever
     * goes wrong (the writer throws or returns a bad length, the endpoint or the device went away while it
     * wrote) puts it back in the pool and tells the TX-available listeners before the exception leaves.
     */
    <T> boolean trySendWith(RpmsgEndpoint ep, int dst, T item, RpmsgPayloadWriter<? super T> writer) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        int held = trySendWithHeld(l, ep, dst, item, writer);
        if (held != HELD_NOT_TAKEN) {
            return held == HELD_SENT;
        }
        VringBuffer b = acquireTx(l, TRY);
        if (b == null) {
            return false;
        }
        int length;
        try {
            length = writeWith(l, ep, b, item, writer);
        } catch (Throwable e) {
            l.tx().release(b);
            hooks.fireTxAvailable();
            throw e;
        }
        submitTx(l, b, ep.address(), dst, length);
        return true;
    }

    private static final int HELD_SENT = 1;
    private static final int HELD_NONE_FREE = 0;
    private static final int HELD_NOT_TAKEN = -1;

    /**
     * The fast path of {@link #trySendWith}, as {@link #sendOwned} is of a copying send: one hold of the TX ring
     * takes a free buffer, lets the writer fill it and publishes it. {@code HELD_NOT_TAKEN}, holding nothing,
     * when another thread holds the ring or the buffer is a remote's short one (the queued path deals with
     * both); {@code HELD_NONE_FREE} when no buffer is free at all.
     */
    private <T> int trySendWithHeld(RpmsgLink l, RpmsgEndpoint ep, int dst, T item, RpmsgPayloadWriter<? super T> writer) {
        VirtqueuePort tx = l.tx();
        boolean gaveBack = false;
        try {
            if (!tx.tryHold()) {
                return HELD_NOT_TAKEN;
            }
            @Nullable VringBuffer b = null;
            try {
                b = tx.takeHeld();
                if (b == null && role == Role.HOST) {
                    b = growTx(l);
                }
                if (b == null) {
                    return HELD_NONE_FREE;
                }
                if (b.capacity() < l.txBufferSize()) {
                    VringBuffer shortOne = b;
                    b = null;
                    tx.ungetHeld(shortOne);
                    return HELD_NOT_TAKEN;
                }
                int length = writeWith(l, ep, b, item, writer);
                RpmsgHeaderLayout.write(b.segment(), ep.address(), dst, length);
                b.length(role == Role.HOST ? (int) b.capacity() : RpmsgHeaderLayout.SIZE + length);
                VringBuffer filled = b;
                b = null;
                tx.putHeld(filled);
                heldBytes += length;
                return HELD_SENT;
            } catch (Throwable e) {
                if (b != null) {
                    tx.ungetHeld(b);
                    gaveBack = true;
                }
                throw e;
            } finally {
                tx.releaseHold();
            }
        } catch (VringException e) {
            throw broken(e);
        } finally {
            if (gaveBack) {
                hooks.fireTxAvailable();
            }
        }
    }

    private <T> int writeWith(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, T item, RpmsgPayloadWriter<? super T> writer) {
        return writeWith(l, ep, b, item, writer, false);
    }

    /**
     * The writer's message in {@code b}: its length, checked (or, with {@code noMoreAllowed}, the batch writer's
     * NO_MORE); throws, leaving {@code b} to the caller, when the writer fails or the endpoint or device went
     * away while it wrote.
     */
    private <T> int writeWith(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, T item, RpmsgPayloadWriter<? super T> writer,
            boolean noMoreAllowed) {
        long room = b.capacity() - RpmsgHeaderLayout.SIZE;
        if (room < 0) {
            throw tooLarge(0, room);
        }
        int capacity = (int) Math.min(room, l.maxPayload());
        // The endpoint keeps one payload view per TX buffer: no slice (no allocation) per message.
        int length = writer.write(item, ep.payloadView(b.segment(), capacity, l.tx().queue().num()));
        if (noMoreAllowed && length == RpmsgBatchWriter.NO_MORE) {
            return length;
        }
        if (length < 0) {
            throw new IllegalArgumentException((noMoreAllowed ? "a batch writer" : "a payload writer")
                    + " returned length=" + length);
        }
        if (length > capacity) {
            throw tooLarge(length, capacity);
        }
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        if (state != State.READY) {
            throw unusable();
        }
        return length;
    }

    /**
     * {@link RpmsgEndpoint#trySendBatch}: up to {@code max} messages from {@code writer}, as many as TX buffers
     * are free right now, published together. With the ring free, this thread holds it for the whole batch:
     * each message costs a buffer from the holder's own pool, the writer, the header and a ring slot, and the
     * batch one index store and at most one kick. With another thread holding the ring, the messages queue one
     * by one and go out with one flush.
     */
    int sendBatch(RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        if (max < 0) {
            throw new IllegalArgumentException("max=" + max);
        }
        if (max == 0) {
            return 0;
        }
        VirtqueuePort tx = l.tx();
        boolean held;
        try {
            held = tx.tryHold();
        } catch (VringException e) {
            throw broken(e);
        }
        if (!held) {
            return sendBatchQueued(l, ep, dst, writer, max);
        }
        int n = sendBatchHeld(l, ep, dst, writer, max);
        if (n < 0) {
            // A remote found a buffer shorter than the negotiated size: the queued path gives it back and says so.
            n = -n - 1;
            return n + sendBatchQueued(l, ep, dst, writer, max - n);
        }
        return n;
    }

    /**
     * The batch while holding the ring (its sends are counted by the port, as {@code submitOwned}'s are): the
     * number sent, or {@code -(sent + 1)} when it stopped at a remote's short buffer, put back for the queued
     * path to deal with.
     */
    private int sendBatchHeld(RpmsgLink l, RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        VirtqueuePort tx = l.tx();
        int n = 0;
        boolean shortBuffer = false;
        boolean gaveBack = false;
        @Nullable VringBuffer b = null;
        try {
            try {
                while (n < max) {
                    b = tx.takeHeld();
                    if (b == null && role == Role.HOST) {
                        b = growTx(l);
                    }
                    if (b == null) {
                        break;
                    }
                    if (b.capacity() < l.txBufferSize()) {
                        VringBuffer shortOne = b;
                        b = null;
                        tx.ungetHeld(shortOne);
                        shortBuffer = true;
                        break;
                    }
                    int length = writeOne(l, ep, b, writer);
                    if (length == RpmsgBatchWriter.NO_MORE) {
                        VringBuffer unused = b;
                        b = null;
                        tx.ungetHeld(unused);
                        gaveBack = true;
                        break;
                    }
                    RpmsgHeaderLayout.write(b.segment(), ep.address(), dst, length);
                    b.length(role == Role.HOST ? (int) b.capacity() : RpmsgHeaderLayout.SIZE + length);
                    VringBuffer filled = b;
                    b = null;
                    tx.putHeld(filled);
                    heldBytes += length;
                    n++;
                }
            } catch (Throwable e) {
                if (b != null) {
                    tx.ungetHeld(b);
                    gaveBack = true;
                }
                throw e;
            } finally {
                tx.releaseHold();
            }
        } catch (VringException e) {
            throw broken(e);
        } finally {
            if (gaveBack) {
                hooks.fireTxAvailable();
            }
            txWait.signal(); // a sender that found the ring held meanwhile may sleep: the pool changed
        }
        return shortBuffer ? -n - 1 : n;
    }

    /** Another thread holds the ring: each message takes a buffer and queues, and one flush publishes them. */
    private int sendBatchQueued(RpmsgLink l, RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        int n = 0;
        try {
            while (n < max) {
                VringBuffer b = acquireOnce(l);
                if (b == null) {
                    break;
                }
                int length;
                try {
                    length = writeOne(l, ep, b, writer);
                } catch (Throwable e) {
                    l.tx().release(b);
                    hooks.fireTxAvailable();
                    throw e;
                }
                if (length == RpmsgBatchWriter.NO_MORE) {
                    l.tx().release(b);
                    hooks.fireTxAvailable();
                    break;
                }
                stageTx(l, b, ep.address(), dst, length);
                n++;
            }
        } finally {
            if (n > 0) {
                flushTx(l);
            }
        }
        return n;
    }

    /** One message of a batch into {@code b}: as {@link #writeWith}, and NO_MORE when the writer has no more. */
    private int writeOne(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, RpmsgBatchWriter writer) {
        return writeWith(l, ep, b, writer, BATCH_WRITE, true);
    }

    private static final RpmsgPayloadWriter<RpmsgBatchWriter> BATCH_WRITE = RpmsgBatchWriter::writeNext;

    void releaseTx(VringBuffer buffer) {
        Objects.requireNonNull(link).tx().release(buffer);
        hooks.fireTxAvailable();
    }

    /**
     * Registers {@code listener} to hear that TX buffers may have come free: it runs after every serving
     * pass ({@link #process()}, which the peer's kick for returned buffers starts), after a
     * {@link RpmsgTxBuffer#release()}, and once when the device stops (so a waiter sees the failure). It is
     * a hint: {@link RpmsgEndpoint#tryTxBuffer()} says whether one is there. For a sender that must not
     * block a thread (the reactive layer's {@code send}): try, and when there is no buffer, register
     * interest and try once more, then wait for this call. Runs on the serving thread or the releasing
     * thread; must be quick, must not block, and should not throw (a throw is counted as
     * {@link Reason#CALLBACK_FAILED}).
     */
    public void addTxAvailableListener(Runnable listener) {
        hooks.addTxListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener added by {@link #addTxAvailableListener}; false if it was not there. */
    public boolean removeTxAvailableListener(Runnable listener) {
        return hooks.removeTxListener(listener);
    }


    /** Writes the header and hands the buffer to the ring; a buffer the ring refuses goes back to the pool. */
    private void submitTx(RpmsgLink l, VringBuffer b, int src, int dst, int length) {
        stageTx(l, b, src, dst, length);
        flushTx(l);
    }

    /** Writes the header and queues the buffer for the ring, in this order among all senders. */
    private void stageTx(RpmsgLink l, VringBuffer b, int src, int dst, int length) {
        RpmsgHeaderLayout.write(b.segment(), src, dst, length);
        // The driver's TX descriptors carry the whole buffer; the device's used.len says what it wrote.
        b.length(role == Role.HOST ? (int) b.capacity() : RpmsgHeaderLayout.SIZE + length);
        try {
            l.tx().stage(b);
        } catch (VringException e) {
            l.tx().release(b);
            throw broken(e);
        }
        sent.increment();
        sentBytes.add(length);
    }

    private void flushTx(RpmsgLink l) {
        try {
            l.tx().flush();
        } catch (VringException e) {
            throw broken(e);
        }
    }

    private @Nullable VringBuffer acquireTx(RpmsgLink l, long timeoutNanos) {
        VringBuffer b = acquireOnce(l);
        if (b != null || timeoutNanos == TRY) {
            return b;
        }
        return txWait.await(l, timeoutNanos);
    }

    /** A free TX buffer right now (the host grows its pool first), or null. */
    @Nullable VringBuffer acquireOnce(RpmsgLink l) {
        try {
            VringBuffer b = l.tx().acquire();
            if (role == Role.HOST) {
                return b != null ? b : growTx(l);
            }
            // Remote: the host chose these buffers. One smaller than the negotiated size would sit in the free
            // pool for ever (every send too big for it), so it goes straight back to the host, unused.
            // At most num looks: a host that posts nothing else cannot keep this thread here.
            int looks = l.tx().queue().num();
            while (b != null && b.capacity() < l.txBufferSize()) {
                drop(Reason.SHORT_BUFFER, "the host posted a " + b.capacity() + "-byte RX buffer; the negotiated"
                        + " size is " + l.txBufferSize(), null);
                b.length(0);
                l.tx().submit(b);
                b = --looks > 0 ? l.tx().acquire() : null;
            }
            return b;
        } catch (VringException e) {
            throw broken(e);
        }
    }

    /** Host: carves another TX buffer from the heap while the TX ring has descriptors for it (OpenAMP does the same, lazily). */
    private @Nullable VringBuffer growTx(RpmsgLink l) {
        int num = l.tx().queue().num();
        if (txAllocated.get() >= num) {
            return null;
        }
        synchronized (lock) {
            if (txAllocated.get() >= num || state != State.READY) {
                return null;
            }
            VringBuffer b = l.tx().allocateBuffer(Objects.requireNonNull(heap), l.txBufferSize());
            if (b != null) {
                txAllocated.incrementAndGet();
                hostBuffers.add(b.offset());
            }
            return b;
        }
    }

    // ---------------------------------------------------------------- state and failure

    /**
     * A hint for a serving loop that found nothing to do: true when another thread holds the device right
     * now (so a kick may have been taken by it without being served), or inbound buffers are waiting.
     * Sleeping on the doorbell is right only when this is false.
     */
    public boolean hasPendingWork() {
        if (dispatchLock.isLocked() && !dispatchLock.isHeldByCurrentThread()) {
            return true;
        }
        RpmsgLink l = link;
        return l != null && state == State.READY && !inbound.isBlocked() && l.rx().hasInbound();
    }

    /**
     * What gets the serving thread to call {@link #process()} again after an endpoint resumed delivery
     * ({@link RpmsgEndpoint#resumeDelivery()}); an {@link RpmsgRunner} sets it to ring its own doorbell.
     * A serving loop of your own that uses {@link RpmsgEndpoint#pauseDelivery()} must set it too.
     */
    public void setWakeup(Runnable wakeup) {
        this.wakeup = Objects.requireNonNull(wakeup, "wakeup");
    }

    /**
     * The serving loop's sleep, instead of {@code bell.await(timeout)}: waits until the peer sends, rings, or
     * {@code timeout} passed, and meanwhile keeps the peer from notifying a side that is awake (virtio's
     * notification suppression, {@code VRING_USED_F_NO_NOTIFY} / {@code VRING_AVAIL_F_NO_INTERRUPT}). A
     * doorbell that spins before it blocks ({@code FutexDoorbell}) polls the RX ring itself meanwhile; the
     * peer's notifications are switched on only while the thread is blocked, and for TX only while somebody
     * waits for a TX buffer ({@link #watchTx()}). Call it from the one thread that serves the device, after
     * {@link #process()} returned 0 and {@link #hasPendingWork()} was false; an {@link RpmsgRunner} and the
     * lifecycle's serving thread do. A device never served through this method keeps the rings' initial
     * "always notify".
     *
     * @return true if it was rung or work is waiting
     */
    public boolean awaitWork(Doorbell bell, Duration timeout) {
        return notifications.await(Objects.requireNonNull(bell, "bell"), Objects.requireNonNull(timeout, "timeout"));
    }

    /**
     * Says that this caller waits for a TX buffer, until the matching {@link #unwatchTx()}: while anybody
     * does, the peer is asked to notify this side when it hands TX buffers back, so the serving pass that
     * follows runs the TX-available listeners ({@link #addTxAvailableListener}). A layer that waits for those
     * listeners (not a thread blocked in {@code send}, which does this itself) must watch while it waits.
     *
     * @return true if buffers may already be back (look again now; the serving thread was also woken)
     */
    public boolean watchTx() {
        return notifications.watchTx();
    }

    /**
     * Ends one {@link #watchTx()}.
     *
     * @throws IllegalStateException if nobody watches
     */
    public void unwatchTx() {
        notifications.unwatchTx();
    }

    /** For tests: the notification suppression state. */
    Notifications notifications() {
        return notifications;
    }

    /** The link while READY, else null. */
    @Nullable RpmsgLink readyLinkOrNull() {
        RpmsgLink l = link;
        return l != null && state == State.READY ? l : null;
    }

    void wakeServing() {
        wakeup.run();
    }

    /** The role. */
    public Role role() {
        return role;
    }

    /** The state now. */
    public State state() {
        return state;
    }

    /** Why the device stopped (BROKEN, PEER_LOST, CLOSED), or null. */
    public @Nullable RpmsgException failure() {
        return failure;
    }

    /** The options it was made with. */
    public RpmsgOptions options() {
        return options;
    }

    /** The negotiated features (gfeatures), 0 before READY. */
    public int features() {
        RpmsgLink l = link;
        return l == null ? 0 : l.features();
    }

    /** This side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String localCpuName() {
        RpmsgLink l = link;
        return l == null ? "" : l.localCpu();
    }

    /** The other side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String remoteCpuName() {
        RpmsgLink l = link;
        return l == null ? "" : l.remoteCpu();
    }

    /** TX and RX buffer sizes (header included), 0 before READY. */
    public int txBufferSize() {
        RpmsgLink l = link;
        return l == null ? 0 : l.txBufferSize();
    }

    /** RX buffer size (header included), 0 before READY. */
    public int rxBufferSize() {
        RpmsgLink l = link;
        return l == null ? 0 : l.rxBufferSize();
    }

    /** "the remote 'cpu'" or "the host", for messages. */
    String peerName() {
        String cpu = remoteCpuName();
        String what = role == Role.HOST ? "remote" : "host";
        return cpu.isEmpty() ? what : what + " '" + cpu + "'";
    }

    /**
     * Declares the remote dead (it died without an NS destroy, or a liveness check gave up): every endpoint
     * is unbound ({@link RpmsgListener#onUnbind}), every waiting send and every later send fails with
     * {@link Reason#PEER_LOST} naming the remote, and the rings are left alone. Idempotent; from any thread.
     */
    public void peerLost(String why) {
        fail(State.PEER_LOST, new RpmsgException(Reason.PEER_LOST, name + ": the " + peerName() + " was lost: " + why));
    }

    /**
     * Closes the device: sends an NS destroy for each named endpoint if a TX buffer is free right away,
     * unbinds and destroys every endpoint, fails waiting sends with {@link Reason#DEVICE_CLOSED}, and on the
     * host gives every buffer back to the heap (held messages become invalid). Idempotent.
     */
    @Override
    public void close() {
        closing = true;
        RpmsgLink l = link;
        if (state == State.READY && l != null && l.has(RpmsgAddresses.F_NS)) {
            for (RpmsgEndpoint ep : endpoints()) {
                if (!ep.name().isEmpty()) {
                    try {
                        sendNs(l, ep, RpmsgNsMessageLayout.DESTROY, TRY);
                    } catch (RpmsgException e) {
                        LOG.debug("{}: no NS destroy for {} on close: {}", name, ep, e.getMessage());
                    }
                }
            }
        }
        fail(State.CLOSED, new RpmsgException(Reason.DEVICE_CLOSED, name + " was closed"));
        for (RpmsgEndpoint ep : endpoints()) {
            unregister(ep);
        }
        awaitNoCallback();
        if (role == Role.HOST) {
            synchronized (lock) {
                freeHostBuffers();
            }
        }
    }

    private void freeHostBuffers() {
        CarveoutHeap h = Objects.requireNonNull(heap);
        for (long offset : hostBuffers) {
            h.free(offset);
        }
        hostBuffers.clear();
    }

    /** Breaks the device for {@code e} and returns the exception to throw. */
    RpmsgException broken(VringException e) {
        fail(State.BROKEN, new RpmsgException(Reason.DEVICE_BROKEN, name + ": " + e.getMessage(), e));
        return unusable();
    }

    private void fail(State newState, RpmsgException why) {
        List<RpmsgEndpoint> bound = new ArrayList<>();
        List<RpmsgEndpoint> all;
        List<RpmsgServiceListener> watchers;
        synchronized (lock) {
            State s = state;
            if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
                return;
            }
            failure = why;
            state = newState;
            registry.forgetServices();
            watchers = hooks.serviceListeners();
            all = registry.all();
            for (RpmsgEndpoint e : all) {
                if (e.isBound()) {
                    bound.add(e);
                }
            }
        }
        LOG.debug("{}: {}", name, why.getMessage());
        txWait.signal();
        for (RpmsgEndpoint e : all) {
            e.wakeWaiters();
        }
        dispatchLock.lock();
        try {
            for (RpmsgEndpoint e : bound) {
                if (e.setDestination(RpmsgAddresses.ANY)) {
                    fireUnbind(e);
                }
            }
        } finally {
            dispatchLock.unlock();
        }
        hooks.fireStopped(watchers, why);
        hooks.fireTxAvailable();
    }

    /** Throws if the device can never be used again. */
    void checkAlive() {
        State s = state;
        if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
            throw unusable();
        }
    }

    private RpmsgLink readyLink() {
        RpmsgLink l = link;
        if (state != State.READY || l == null) {
            throw unusable();
        }
        return l;
    }

    /** A fresh exception (this thread's stack) saying why the device cannot be used. */
    RpmsgException unusable() {
        RpmsgException f = failure;
        if (f == null) {
            return new RpmsgException(Reason.NOT_READY, name + " is not ready (a remote waits for the host's"
                    + " DRIVER_OK)");
        }
        // The cause is what the first failure had (the VringException of a broken ring), else the failure itself.
        Throwable cause = f.getCause();
        return new RpmsgException(f.reason(), f.getMessage(), cause != null ? cause : f);
    }

    private RpmsgException tooLarge(long length, long max) {
        return new RpmsgException(Reason.PAYLOAD_TOO_LARGE, name + ": a payload of " + length + " bytes does not fit"
                + " a TX buffer (at most " + max + " after the 16-byte header)");
    }

    void drop(Reason reason, String what, @Nullable Throwable cause) {
        drops.incrementAndGet(reason.ordinal());
        RpmsgException e = new RpmsgException(reason, name + ": dropped: " + what, cause);
        LOG.debug("{}", e.getMessage());
        DropListener listener = options.dropListener();
        if (listener != null) {
            try {
                listener.dropped(this, e);
            } catch (RuntimeException ex) {
                LOG.warn("{}: drop listener threw", name, ex);
            }
        }
    }

    /**
     * A callback threw (or a send inside it timed out): counted on the endpoint and as a
     * {@link Reason#CALLBACK_FAILED} drop, logged at WARN with the endpoint's name the first time for that
     * endpoint and at DEBUG after that (a listener that fails on every message must not flood the log),
     * and the serving thread goes on. Only a {@link VirtualMachineError} is rethrown.
     */
    void callbackFailed(@Nullable RpmsgEndpoint ep, String callback, Throwable e) {
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
        boolean first = ep == null || ep.countCallbackFailure();
        if (first) {
            LOG.warn("{}: {} of {} failed (logged once per endpoint; counted in callbackFailures()), the device"
                    + " keeps serving", name, callback, ep, e);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {} of {} failed again: {}", name, callback, ep, e.toString());
        }
        drop(Reason.CALLBACK_FAILED, callback + " of " + ep + " threw " + e, e);
    }

    // ---------------------------------------------------------------- stats and dump

    /**
     * RX buffers the application holds right now: messages held or retained past their callback and not yet
     * released (copies and messages the device had already copied off the ring do not count). 0 when
     * nothing leaks; what a test asserts once a consumer is done.
     */
    public int heldRxBuffers() {
        return hooks.heldRxBuffers();
    }

    /**
     * How many RX buffers this side has: the number of descriptors of its receive vring (0 before
     * READY). The most messages the peer can have on their way to this side at once; a consumer that
     * holds messages should hold fewer.
     */
    public int rxBuffers() {
        RpmsgLink l = link;
        return l == null ? 0 : l.rx().queue().num();
    }

    /** Counters so far. */
    public RpmsgStats stats() {
        Map<Reason, Long> dropped = new EnumMap<>(Reason.class);
        for (Reason r : Reason.values()) {
            long n = drops.get(r.ordinal());
            if (n != 0) {
                dropped.put(r, n);
            }
        }
        RpmsgLink l = link;
        return new RpmsgStats(sent.sum() + (l == null ? 0 : l.tx().ownedSubmits()), inbound.received(), dropped,
                l == null ? 0 : l.tx().freeBuffers(), txAllocated.get(), endpointCount(),
                l == null ? 0 : l.tx().kicks() + l.rx().kicks(), sentBytes.sum() + heldBytes, inbound.receivedBytes(),
                notifications.rung(), l == null ? 0 : l.tx().publishes(), l == null ? 0 : l.rx().publishes());
    }

    private int endpointCount() {
        synchronized (lock) {
            return registry.size();
        }
    }

    /**
     * A readable picture of the device, like NuttX's {@code rptun dump}: state, vdev status and features,
     * each vring's indices, flags and outstanding buffers, every endpoint, the heap and the counters.
     */
    public String dump() {
        return RpmsgDump.of(this, role, table, vdev, link == null ? null : Objects.requireNonNull(link).tx(),
                link == null ? null : Objects.requireNonNull(link).rx(), heap);
    }

    @Override
    public String toString() {
        return "RpmsgDevice[" + name + ", " + role + ", " + state + "]";
    }
}
