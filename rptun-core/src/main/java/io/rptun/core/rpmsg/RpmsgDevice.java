package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import io.rptun.core.virtio.VirtqueuePort;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

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
    /*
     * The public face and the wiring; each job is a package-private class: RpmsgStartup (the handshake),
     * RpmsgInbound (dispatch), RpmsgSender with TxPool and TxWait (the TX path), EndpointLifecycle and
     * RpmsgNameService (endpoints and their binding), DeviceState (state, link, failure: read by all),
     * DeviceShutdown (close, peer lost, broken ring), RpmsgDrops, DeviceHooks, Notifications, HostBuffers.
     * 'lock' guards the registry, the service listeners, the host's buffers and every change of state;
     * 'dispatchLock' is held by whoever serves the device, and every callback runs under it.
     */

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

    private final Role role;
    private final LiveResourceTable table;
    private final RpmsgOptions options;
    private final String name;
    private final int vdev;
    /** The host's carveout buffers; null on a remote. */
    private final @Nullable HostBuffers hostBuffers;
    /** State, link and failure: read by every piece, changed by the start-up and the shutdown. */
    private final DeviceState st;
    private volatile Runnable wakeup = () -> {
    };

    private final Object lock = new Object();
    private final EndpointRegistry registry;
    private final RpmsgNameService nameService;
    private final ReentrantLock dispatchLock = new ReentrantLock();
    private final RpmsgInbound inbound;
    private final TxWait txWait;
    private final TxPool txPool;
    private final RpmsgSender sender;
    private final RpmsgStartup startup;
    private final DeviceHooks hooks = new DeviceHooks(this);
    private final Notifications notifications = new Notifications(this);
    private final RpmsgDrops drops;
    private final EndpointLifecycle endpointLifecycle;
    private final DeviceShutdown shutdown;

    /** Wires the pieces; each is told only what it uses (those made later it reaches through this device). */
    private RpmsgDevice(Role role, SharedRegion region, LiveResourceTable table, @Nullable CarveoutHeap heap,
            PeerNotifier notifier, RpmsgOptions options) {
        this.role = role;
        Objects.requireNonNull(region, "region");
        this.table = Objects.requireNonNull(table, "table");
        this.hostBuffers = heap == null ? null : new HostBuffers(heap);
        Objects.requireNonNull(notifier, "notifier");
        this.options = Objects.requireNonNull(options, "options");
        this.name = options.name();
        this.vdev = options.vdev();
        long sendTimeoutNanos = options.sendTimeout().toNanos();
        RpmsgVdev vdevInfo = new RpmsgVdev(role, region, table, vdev, notifier, name);
        this.st = new DeviceState(name);
        this.drops = new RpmsgDrops(this);
        this.registry = new EndpointRegistry(name);
        this.nameService = new RpmsgNameService(this, registry, lock);
        this.inbound = new RpmsgInbound(this, registry, nameService, vdevInfo.rxNum(), options.rxBatch());
        this.txWait = new TxWait(this, inbound, notifications, dispatchLock);
        this.endpointLifecycle = new EndpointLifecycle(this, st, registry, nameService, hooks, lock, dispatchLock);
        this.shutdown = new DeviceShutdown(this, st, lock, registry, nameService, endpointLifecycle, hooks, txWait,
                hostBuffers);
        this.txPool = new TxPool(this, st, txWait, lock, hostBuffers);
        this.sender = new RpmsgSender(this, st, hooks, txPool, txWait, sendTimeoutNanos);
        this.startup = new RpmsgStartup(this, st, shutdown, region, table, notifier, vdevInfo, nameService, lock,
                hostBuffers);
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
        device.startup.startHost();
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

    /**
     * Waits until the device is READY: a remote until the host's DRIVER_OK, serving the device itself
     * while it waits (harmless next to an {@link RpmsgRunner}).
     *
     * @return true when ready, false if {@code timeout} passed first
     * @throws RpmsgException if it never can be (BROKEN, PEER_LOST, CLOSED); INTERRUPTED
     */
    public boolean awaitReady(Duration timeout) {
        return startup.awaitReady(timeout);
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
        if (st.state() == State.STARTING && (role != Role.REMOTE || !startup.tryStart())) {
            return 0;
        }
        RpmsgLink l = st.link();
        if (st.state() != State.READY || l == null) {
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
        RpmsgLink l = st.link();
        if (l == null || st.state() != State.READY) {
            return; // the rings are gone or no longer ours to write
        }
        try {
            l.rx().submit(buffer);
        } catch (VringException e) {
            broken(e);
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
        return endpointLifecycle.create(name, src, dst, listener);
    }

    void destroy(RpmsgEndpoint ep) {
        endpointLifecycle.destroy(ep);
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

    // ---------------------------------------------------------------- sending

    /** The TX path ({@link RpmsgEndpoint}'s sends go straight to it). */
    RpmsgSender sender() {
        return sender;
    }

    /** Where TX buffers come from (the name service takes its buffers there). */
    TxPool txPool() {
        return txPool;
    }

    /** The largest payload of one message (TX buffer size minus the 16-byte header). */
    public int maxPayload() {
        RpmsgLink l = st.link();
        if (l != null) {
            return l.maxPayload();
        }
        return RpmsgAddresses.DEFAULT_BUFFER_SIZE - RpmsgHeaderLayout.SIZE;
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

    // ---------------------------------------------------------------- serving loop and wake-ups

    /**
     * A hint for a serving loop that found nothing to do: true when another thread holds the device right
     * now (so a kick may have been taken by it without being served), or inbound buffers are waiting.
     * Sleeping on the doorbell is right only when this is false.
     */
    public boolean hasPendingWork() {
        if (dispatchLock.isLocked() && !dispatchLock.isHeldByCurrentThread()) {
            return true;
        }
        RpmsgLink l = st.link();
        return l != null && st.state() == State.READY && !inbound.isBlocked() && l.rx().hasInbound();
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
        return st.readyLinkOrNull();
    }

    void wakeServing() {
        wakeup.run();
    }

    // ---------------------------------------------------------------- state

    /** The role. */
    public Role role() {
        return role;
    }

    /** The state now. */
    public State state() {
        return st.state();
    }

    /** Why the device stopped (BROKEN, PEER_LOST, CLOSED), or null. */
    public @Nullable RpmsgException failure() {
        return st.failure();
    }

    /** The options it was made with. */
    public RpmsgOptions options() {
        return options;
    }

    /** The negotiated features (gfeatures), 0 before READY. */
    public int features() {
        RpmsgLink l = st.link();
        return l == null ? 0 : l.features();
    }

    /** This side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String localCpuName() {
        RpmsgLink l = st.link();
        return l == null ? "" : l.localCpu();
    }

    /** The other side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String remoteCpuName() {
        RpmsgLink l = st.link();
        return l == null ? "" : l.remoteCpu();
    }

    /** TX and RX buffer sizes (header included), 0 before READY. */
    public int txBufferSize() {
        RpmsgLink l = st.link();
        return l == null ? 0 : l.txBufferSize();
    }

    /** RX buffer size (header included), 0 before READY. */
    public int rxBufferSize() {
        RpmsgLink l = st.link();
        return l == null ? 0 : l.rxBufferSize();
    }

    /** "the remote 'cpu'" or "the host", for messages. */
    String peerName() {
        String cpu = remoteCpuName();
        String what = role == Role.HOST ? "remote" : "host";
        return cpu.isEmpty() ? what : what + " '" + cpu + "'";
    }

    // ---------------------------------------------------------------- stopping and failures

    /**
     * Declares the remote dead (it died without an NS destroy, or a liveness check gave up): every endpoint
     * is unbound ({@link RpmsgListener#onUnbind}), every waiting send and every later send fails with
     * {@link Reason#PEER_LOST} naming the remote, and the rings are left alone. Idempotent; from any thread.
     */
    public void peerLost(String why) {
        shutdown.fail(State.PEER_LOST,
                new RpmsgException(Reason.PEER_LOST, name + ": the " + peerName() + " was lost: " + why));
    }

    /**
     * Closes the device: sends an NS destroy for each named endpoint if a TX buffer is free right away,
     * unbinds and destroys every endpoint, fails waiting sends with {@link Reason#DEVICE_CLOSED}, and on the
     * host gives every buffer back to the heap (held messages become invalid). Idempotent.
     */
    @Override
    public void close() {
        shutdown.close();
    }

    /** Breaks the device for {@code e} and returns the exception to throw. */
    RpmsgException broken(VringException e) {
        return shutdown.broken(e);
    }

    /** Throws if the device can never be used again. */
    void checkAlive() {
        st.checkAlive();
    }

    /** A fresh exception (this thread's stack) saying why the device cannot be used. */
    RpmsgException unusable() {
        return st.unusable();
    }

    /** Counts and reports a message that is not delivered (see {@link RpmsgDrops}). */
    void drop(Reason reason, String what, @Nullable Throwable cause) {
        drops.drop(reason, what, cause);
    }

    /** A callback threw, or a send inside it timed out (see {@link RpmsgDrops#callbackFailed}). */
    void callbackFailed(@Nullable RpmsgEndpoint ep, String callback, Throwable e) {
        drops.callbackFailed(ep, callback, e);
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
        RpmsgLink l = st.link();
        return l == null ? 0 : l.rx().queue().num();
    }

    /** Counters so far. */
    public RpmsgStats stats() {
        Map<Reason, Long> dropped = drops.counts();
        RpmsgLink l = st.link();
        return new RpmsgStats(sender.queuedSends() + (l == null ? 0 : l.tx().ownedSubmits()), inbound.received(),
                dropped, l == null ? 0 : l.tx().freeBuffers(), txPool.txAllocated(), endpointCount(),
                l == null ? 0 : l.tx().kicks() + l.rx().kicks(), sender.sentBytes(), inbound.receivedBytes(),
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
        RpmsgLink l = st.link();
        return RpmsgDump.of(this, role, table, vdev, l == null ? null : l.tx(), l == null ? null : l.rx(),
                hostBuffers == null ? null : hostBuffers.heap());
    }

    @Override
    public String toString() {
        return "RpmsgDevice[" + name + ", " + role + ", " + st.state() + "]";
    }
}
