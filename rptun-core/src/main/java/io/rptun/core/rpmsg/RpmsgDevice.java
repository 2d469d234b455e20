package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.RptunConfig;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rpmsg vdev over virtio (two vrings) in either role: the {@link Role#HOST} is the virtio driver,
 * the {@link Role#REMOTE} the virtio device (wire-format.md section 3). Holds the endpoints and runs the
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
    private static final int MAX_DYNAMIC = 1 << 20;
    private static final long DISPATCHER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SENDER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    /** The ports and what was negotiated; fixed once the device is READY. */
    private record Link(VirtqueuePort tx, VirtqueuePort rx, int txBufferSize, int rxBufferSize, int features,
            String localCpu, String remoteCpu, int maxPayload) {
        boolean has(int feature) {
            return (features & feature) != 0;
        }
    }

    private final Role role;
    private final SharedRegion region;
    private final LiveResourceTable table;
    private final @Nullable CarveoutHeap heap;
    private final PeerNotifier notifier;
    private final RpmsgOptions options;
    private final String name;
    private final int vdev;
    private final VdevResource vdevResource;
    private final long sendTimeoutNanos;
    private volatile State state = State.STARTING;
    private volatile @Nullable RpmsgException failure;
    private volatile @Nullable Link link;

    private final Object lock = new Object();
    private final Map<Integer, RpmsgEndpoint> endpoints = new LinkedHashMap<>();
    private final BitSet dynamicAddresses = new BitSet();
    private final Map<String, Integer> remoteServices = new LinkedHashMap<>();
    private final List<Long> hostBuffers = new ArrayList<>();
    private volatile EndpointTable endpointTable = EndpointTable.EMPTY;

    private final ReentrantLock dispatchLock = new ReentrantLock();
    private final VringBuffer[] inbox;
    private final int inboxMask;
    private int inboxHead;
    private int inboxTail;
    private final ArrayDeque<Copied> backlog = new ArrayDeque<>();
    private final int backlogLimit;
    private final VirtqueuePort.Receiver toInbox = this::toInbox;

    private final ReentrantLock txLock = new ReentrantLock();
    private final Condition txFreed = txLock.newCondition();
    private final AtomicInteger txWaiters = new AtomicInteger();
    private final AtomicInteger txAllocated = new AtomicInteger();

    private final LongAdder sent = new LongAdder();
    private final AtomicLong received = new AtomicLong();
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
        List<VdevResource> vdevs = table.parsed().table().vdevs();
        if (vdev >= vdevs.size()) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": the table has " + vdevs.size() + " vdevs, no vdev "
                    + vdev);
        }
        this.vdevResource = vdevs.get(vdev);
        if (vdevResource.id() != RpmsgAddresses.VIRTIO_ID_RPMSG || vdevResource.vrings().size() != 2) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": vdev " + vdev + " has id " + vdevResource.id()
                    + " and " + vdevResource.vrings().size() + " vrings (rpmsg is id 7 with 2)");
        }
        int rxNum = vdevResource.vrings().get(role == Role.HOST ? 0 : 1).num();
        this.inbox = new VringBuffer[Integer.highestOneBit(Math.max(2, rxNum) * 2 - 1)];
        this.inboxMask = inbox.length - 1;
        this.backlogLimit = 4 * inbox.length;
    }

    /** A message copied out of its RX buffer while a callback waited for a TX buffer. */
    private record Copied(int src, int dst, byte[] payload) {
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
        Vring rxRing = vring(0);
        Vring txRing = vring(1);
        rxRing.clear();
        txRing.clear();
        Link l = newLink(features,
                VirtqueuePort.driver(name + ".tx", txRing, region, Mode.SEND, kick(1)),
                VirtqueuePort.driver(name + ".rx", rxRing, region, Mode.RECEIVE, kick(0)));
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
        Link l;
        try {
            Vring txRing = vring(0);
            Vring rxRing = vring(1);
            long from = bufferWindowStart(txRing, rxRing);
            long to = bufferWindowEnd();
            if (from >= to) {
                throw new IllegalArgumentException("no room for buffers between 0x" + Long.toHexString(from)
                        + " and 0x" + Long.toHexString(to));
            }
            l = newLink(features,
                    VirtqueuePort.device(name + ".tx", txRing, region, from, to, Mode.SEND, kick(0)),
                    VirtqueuePort.device(name + ".rx", rxRing, region, from, to, Mode.RECEIVE, kick(1)));
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
        List<RpmsgEndpoint> named;
        synchronized (lock) {
            named = new ArrayList<>(endpoints.values());
        }
        for (RpmsgEndpoint ep : named) {
            try {
                announce(l, ep);
            } catch (RpmsgException e) {
                LOG.warn("{}: could not announce {}: {}", name, ep, e.getMessage());
            }
        }
        return true;
    }

    private Link newLink(int features, VirtqueuePort tx, VirtqueuePort rx) {
        int h2r = RpmsgAddresses.DEFAULT_BUFFER_SIZE;
        int r2h = RpmsgAddresses.DEFAULT_BUFFER_SIZE;
        String host = "";
        String remote = "";
        Optional<RptunConfig> config = vdevResource.rptunConfig();
        if (config.isPresent()) {
            RptunConfig c = config.get();
            if ((features & RpmsgAddresses.F_BUFSZ) != 0) {
                h2r = bufferSize("h2r_buf_size", c.h2rBufSize());
                r2h = bufferSize("r2h_buf_size", c.r2hBufSize());
            }
            if ((features & RpmsgAddresses.F_CPUNAME) != 0) {
                host = c.hostCpuName();
                remote = c.remoteCpuName();
            }
        }
        int txSize = role == Role.HOST ? h2r : r2h;
        int rxSize = role == Role.HOST ? r2h : h2r;
        int maxPayload = Math.min(txSize - RpmsgHeaderLayout.SIZE, RpmsgHeaderLayout.MAX_LEN);
        return new Link(tx, rx, txSize, rxSize, features, role == Role.HOST ? host : remote,
                role == Role.HOST ? remote : host, maxPayload);
    }

    private int bufferSize(String field, long value) {
        if (value == 0) {
            return RpmsgAddresses.DEFAULT_BUFFER_SIZE;
        }
        if (value <= RpmsgHeaderLayout.SIZE || value > Integer.MAX_VALUE) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": fw_rsc_config." + field + "=" + value
                    + " (a buffer needs room for the 16-byte header and a payload)");
        }
        return (int) value;
    }

    private Vring vring(int index) {
        VringResource r = vdevResource.vrings().get(index);
        long da = table.vringDa(vdev, index);
        try {
            return Vring.at(region, da, r.num(), r.align());
        } catch (AddressException | IllegalArgumentException e) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": vring " + index + " at da 0x" + Long.toHexString(da)
                    + " (num " + r.num() + ", align " + r.align() + ") does not fit the shared region", e);
        }
    }

    /** After the table and both vrings: a driver pointing a buffer at them is refused. */
    private long bufferWindowStart(Vring a, Vring b) {
        long start = table.parsed().extent();
        for (Vring v : List.of(a, b)) {
            long offset = v.memory().address() - region.segment().address();
            start = Math.max(start, offset + VringLayout.byteSize(v.num(), v.align()));
        }
        return start;
    }

    /** The end of the vdev's carveout when it has one, else of the region. */
    private long bufferWindowEnd() {
        var carveouts = table.parsed().table().carveouts();
        if (vdev < carveouts.size() && carveouts.get(vdev).len() > 0) {
            long len = carveouts.get(vdev).len();
            return region.offsetOfDa(table.carveoutDa(vdev), len) + len;
        }
        return region.size();
    }

    private io.rptun.core.virtio.Notifier kick(int vringIndex) {
        int id = table.vringNotifyId(vdev, vringIndex);
        return () -> notifier.notify(id);
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
        }
    }

    private int processOwned() {
        if (state == State.STARTING && (role != Role.REMOTE || !tryStart())) {
            return 0;
        }
        Link l = link;
        if (state != State.READY || l == null) {
            return 0;
        }
        int handled = 0;
        int budget = 4 * inbox.length;
        try {
            handled += dispatchInbox();
            while (handled < budget && state == State.READY) {
                int room = inbox.length - (inboxTail - inboxHead);
                int got = l.rx().receive(toInbox, Math.min(options.rxBatch(), room));
                if (got == 0) {
                    break;
                }
                handled += dispatchInbox();
            }
            if (state == State.READY) {
                l.rx().flush();
            }
        } catch (VringException e) {
            throw broken(e);
        } finally {
            signalTxWaiters();
        }
        return handled;
    }

    private void toInbox(VringBuffer buffer) {
        inbox[inboxTail++ & inboxMask] = buffer;
    }

    /** Dispatches, in arrival order, everything copied to the backlog and then everything in the inbox. */
    private int dispatchInbox() {
        int n = 0;
        while (true) {
            Copied c = backlog.pollFirst();
            if (c != null) {
                route(c.src(), c.dst(), c.payload().length, MemorySegment.ofArray(c.payload()), 0, null);
                n++;
                continue;
            }
            VringBuffer b = takeInbox();
            if (b == null) {
                return n;
            }
            int len = validate(b);
            if (len >= 0) {
                MemorySegment seg = b.segment();
                route(RpmsgHeaderLayout.src(seg), RpmsgHeaderLayout.dst(seg), len, seg, RpmsgHeaderLayout.SIZE, b);
            }
            n++;
        }
    }

    private @Nullable VringBuffer takeInbox() {
        if (inboxHead == inboxTail) {
            return null;
        }
        int slot = inboxHead & inboxMask;
        VringBuffer b = inbox[slot];
        inbox[slot] = null;
        inboxHead++;
        return b;
    }

    /** {@code hdr.len} of an RX buffer, or -1 when the header is malformed (the buffer is then dropped and returned). */
    private int validate(VringBuffer b) {
        MemorySegment seg = b.segment();
        long capacity = b.capacity();
        if (capacity < RpmsgHeaderLayout.SIZE) {
            drop(Reason.SHORT_BUFFER, "a " + capacity + "-byte buffer cannot hold the 16-byte rpmsg header", null);
            returnRx(b, true);
            return -1;
        }
        int len = RpmsgHeaderLayout.len(seg);
        if (RpmsgHeaderLayout.SIZE + len > capacity) {
            drop(Reason.LENGTH_BEYOND_BUFFER, "hdr.len=" + len + " from " + RpmsgAddresses.format(RpmsgHeaderLayout.src(seg))
                    + " to " + RpmsgAddresses.format(RpmsgHeaderLayout.dst(seg)) + " runs past its " + capacity
                    + "-byte buffer", null);
            returnRx(b, true);
            return -1;
        }
        return len;
    }

    /**
     * While a callback on this thread waits for a TX buffer: copies what the peer sent (first whatever waits
     * in the inbox) to the backlog, in order, and gives the RX buffers back at once, so a peer whose own
     * callback waits for them can go on. Dispatch order is unchanged: the backlog is dispatched first once
     * the callback returns. Bounded by {@code backlogLimit} messages.
     *
     * @return true if any buffer went back to the peer
     */
    private boolean drainToBacklog(Link l) {
        boolean progress = false;
        while (backlog.size() < backlogLimit && state == State.READY) {
            VringBuffer b = takeInbox();
            if (b == null) {
                int room = Math.min(inbox.length, backlogLimit - backlog.size());
                if (l.rx().receive(toInbox, Math.min(options.rxBatch(), room)) == 0) {
                    break;
                }
                continue;
            }
            progress = true;
            int len = validate(b);
            if (len < 0) {
                continue;
            }
            MemorySegment seg = b.segment();
            byte[] payload = new byte[len];
            MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, payload, 0, len);
            backlog.addLast(new Copied(RpmsgHeaderLayout.src(seg), RpmsgHeaderLayout.dst(seg), payload));
            returnRx(b, true);
        }
        if (progress && state == State.READY) {
            l.rx().flush();
        }
        return progress;
    }

    /** Hands a well-formed message to the name service or its endpoint; returns its RX buffer unless held. */
    private void route(int src, int dst, int len, MemorySegment data, long offset, @Nullable VringBuffer b) {
        received.incrementAndGet();
        if (dst == RpmsgAddresses.NS_ADDR) {
            try {
                nameService(data, offset, src, len);
            } finally {
                if (b != null) {
                    returnRx(b, true);
                }
            }
            return;
        }
        RpmsgEndpoint ep = endpointTable.get(dst);
        if (ep == null || ep.isDestroyed()) {
            drop(Reason.UNKNOWN_DESTINATION, "no endpoint at " + RpmsgAddresses.format(dst) + " for " + len
                    + " bytes from " + RpmsgAddresses.format(src), null);
            if (b != null) {
                returnRx(b, true);
            }
            return;
        }
        if (!ep.isBound() && ep.adopt(src)) {
            fireBound(ep);
        }
        RpmsgMessage message = new RpmsgMessage(this, data, offset, b, src, dst, len);
        try {
            ep.listener().onMessage(ep, message);
        } catch (RuntimeException | Error e) {
            callbackFailed(ep, "onMessage", e);
        } finally {
            if (message.callbackReturned() && b != null) {
                returnRx(b, true);
            }
        }
    }

    /** Gives an RX buffer back to the peer: staged by the serving thread, submitted from a release. */
    void returnRx(VringBuffer buffer, boolean staged) {
        Link l = link;
        if (l == null || state != State.READY) {
            return; // the rings are gone or no longer ours to write
        }
        try {
            if (staged) {
                l.rx().stage(buffer);
            } else {
                l.rx().submit(buffer);
            }
        } catch (VringException e) {
            broken(e);
        }
    }

    // ---------------------------------------------------------------- name service

    private void nameService(MemorySegment data, long offset, int src, int len) {
        Link l = Objects.requireNonNull(link);
        if (!l.has(RpmsgAddresses.F_NS)) {
            drop(Reason.NS_DISABLED, "name-service message from " + RpmsgAddresses.format(src)
                    + " while F_NS is off", null);
            return;
        }
        if (len != RpmsgNsMessageLayout.SIZE) {
            drop(Reason.NS_WRONG_SIZE, "name-service message of " + len + " bytes from "
                    + RpmsgAddresses.format(src) + " (must be " + RpmsgNsMessageLayout.SIZE + ")", null);
            return;
        }
        MemorySegment msg = data.asSlice(offset, RpmsgNsMessageLayout.SIZE);
        String service = RpmsgNsMessageLayout.name(msg);
        int addr = RpmsgNsMessageLayout.addr(msg);
        int flags = RpmsgNsMessageLayout.flags(msg);
        boolean ackAllowed = l.has(RpmsgAddresses.F_ACK);
        if (addr == RpmsgAddresses.ANY || (flags == RpmsgNsMessageLayout.CREATE_ACK && !ackAllowed)
                || (flags != RpmsgNsMessageLayout.CREATE && flags != RpmsgNsMessageLayout.DESTROY
                        && flags != RpmsgNsMessageLayout.CREATE_ACK)) {
            drop(Reason.NS_MALFORMED, "name-service message '" + service + "' addr " + RpmsgAddresses.format(addr)
                    + " flags " + flags + (ackAllowed ? "" : " (F_ACK is off)"), null);
            return;
        }
        if (flags == RpmsgNsMessageLayout.DESTROY) {
            remoteDestroyed(service, addr);
        } else {
            remoteCreated(l, service, addr, flags == RpmsgNsMessageLayout.CREATE_ACK);
        }
    }

    private void remoteCreated(Link l, String service, int addr, boolean ack) {
        RpmsgEndpoint match = null;
        boolean alreadyBound = false;
        synchronized (lock) {
            remoteServices.put(service, addr);
            for (RpmsgEndpoint e : endpoints.values()) {
                if (!e.name().equals(service) || e.isDestroyed()) {
                    continue;
                }
                if (e.destination() == addr) {
                    alreadyBound = true;
                } else if (!e.isBound() && match == null) {
                    match = e;
                }
            }
        }
        if (alreadyBound) {
            return;
        }
        if (match != null) {
            if (match.adopt(addr)) {
                fireBound(match);
            }
            // With F_ACK, NuttX always acknowledges, even when our own NS create went out too: a remote that
            // missed that create (its endpoint did not exist yet) binds from the acknowledgement.
            if (!ack && l.has(RpmsgAddresses.F_ACK)) {
                sendNsQuietly(l, match, RpmsgNsMessageLayout.CREATE_ACK);
            }
            return;
        }
        BindHook hook = options.bindHook();
        if (!ack && hook != null) {
            try {
                hook.bind(this, service, addr);
            } catch (RuntimeException | Error e) {
                callbackFailed(null, "bind hook for '" + service + "'", e);
            }
        }
    }

    private void remoteDestroyed(String service, int addr) {
        List<RpmsgEndpoint> unbound = new ArrayList<>();
        synchronized (lock) {
            remoteServices.remove(service, addr);
            for (RpmsgEndpoint e : endpoints.values()) {
                if (e.name().equals(service) && e.destination() == addr) {
                    unbound.add(e);
                }
            }
        }
        for (RpmsgEndpoint e : unbound) {
            if (e.setDestination(RpmsgAddresses.ANY)) {
                fireUnbind(e);
            }
        }
    }

    /**
     * What a named endpoint tells the remote once the device is ready: an unbound one asks for a binding
     * (NS create); a bound one acknowledges with F_ACK (CREATE_ACK), or without it sends NS create too if
     * it was bound from an earlier announcement, so the remote's waiting endpoint binds.
     */
    private void announce(Link l, RpmsgEndpoint ep) {
        if (ep.name().isEmpty() || !l.has(RpmsgAddresses.F_NS) || ep.isDestroyed()) {
            return;
        }
        if (!ep.isBound()) {
            sendNs(l, ep, RpmsgNsMessageLayout.CREATE, sendTimeoutNanos);
        } else if (l.has(RpmsgAddresses.F_ACK)) {
            sendNs(l, ep, RpmsgNsMessageLayout.CREATE_ACK, sendTimeoutNanos);
        } else if (!ep.destinationGiven()) {
            sendNs(l, ep, RpmsgNsMessageLayout.CREATE, sendTimeoutNanos);
        }
    }

    private void sendNs(Link l, RpmsgEndpoint ep, int flags, long timeoutNanos) {
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
        submitTx(l, b, ep.address(), RpmsgAddresses.NS_ADDR, RpmsgNsMessageLayout.SIZE);
    }

    private void sendNsQuietly(Link l, RpmsgEndpoint ep, int flags) {
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
        int remembered = RpmsgAddresses.ANY;
        synchronized (lock) {
            checkAlive();
            int address = src == RpmsgAddresses.ANY ? allocateAddress() : claimAddress(src);
            int destination = dst;
            if (dst == RpmsgAddresses.ANY && !name.isEmpty()) {
                destination = remoteServices.getOrDefault(name, RpmsgAddresses.ANY);
                remembered = destination;
            }
            ep = new RpmsgEndpoint(this, name, address, destination, dst != RpmsgAddresses.ANY, listener);
            endpoints.put(address, ep);
            endpointTable = EndpointTable.of(endpoints.values());
        }
        Link l = link;
        if (state == State.READY && l != null) {
            try {
                announce(l, ep);
            } catch (RpmsgException e) {
                unregister(ep);
                throw e;
            }
        }
        if (remembered != RpmsgAddresses.ANY) {
            // Bound from an announcement that came first: tell the listener like any other binding, one
            // callback at a time (unless an NS destroy unbound it meanwhile).
            dispatchLock.lock();
            try {
                if (ep.destination() == remembered) {
                    fireBound(ep);
                }
            } finally {
                dispatchLock.unlock();
            }
        }
        return ep;
    }

    private int allocateAddress() {
        int i = dynamicAddresses.nextClearBit(0);
        if (i >= MAX_DYNAMIC) {
            throw new RpmsgException(Reason.NO_ADDRESS, name + ": all " + MAX_DYNAMIC + " dynamic addresses are taken");
        }
        dynamicAddresses.set(i);
        return RpmsgAddresses.FIRST_DYNAMIC + i;
    }

    private int claimAddress(int src) {
        if (src == RpmsgAddresses.NS_ADDR || endpoints.containsKey(src)) {
            throw new RpmsgException(Reason.ADDRESS_IN_USE, name + ": address " + RpmsgAddresses.format(src)
                    + (src == RpmsgAddresses.NS_ADDR ? " is the name service's" : " is taken by " + endpoints.get(src)));
        }
        int i = dynamicIndex(src);
        if (i >= 0) {
            dynamicAddresses.set(i);
        }
        return src;
    }

    private static int dynamicIndex(int address) {
        long offset = Integer.toUnsignedLong(address) - RpmsgAddresses.FIRST_DYNAMIC;
        return offset >= 0 && offset < MAX_DYNAMIC ? (int) offset : -1;
    }

    private boolean unregister(RpmsgEndpoint ep) {
        synchronized (lock) {
            if (ep.isDestroyed()) {
                return false;
            }
            ep.markDestroyed();
            endpoints.remove(ep.address());
            int i = dynamicIndex(ep.address());
            if (i >= 0) {
                dynamicAddresses.clear(i);
            }
            endpointTable = EndpointTable.of(endpoints.values());
            return true;
        }
    }

    void destroy(RpmsgEndpoint ep) {
        if (!unregister(ep)) {
            return;
        }
        Link l = link;
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
        return endpointTable.get(address);
    }

    /** Every endpoint, in creation order. */
    public List<RpmsgEndpoint> endpoints() {
        synchronized (lock) {
            return List.copyOf(endpoints.values());
        }
    }

    /** The services the remote announced and has not destroyed: name to remote address. */
    public Map<String, Integer> remoteServices() {
        synchronized (lock) {
            return Map.copyOf(remoteServices);
        }
    }

    private void fireBound(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return;
        }
        try {
            ep.listener().onBound(ep);
        } catch (RuntimeException | Error e) {
            callbackFailed(ep, "onBound", e);
        }
    }

    private void fireUnbind(RpmsgEndpoint ep) {
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
        Link l = link;
        if (l != null) {
            return l.maxPayload();
        }
        return RpmsgAddresses.DEFAULT_BUFFER_SIZE - RpmsgHeaderLayout.SIZE;
    }

    boolean send(RpmsgEndpoint ep, int dst, MemorySegment data, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        Link l = readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        long length = data.byteSize();
        if (length > l.maxPayload()) {
            throw tooLarge(length, l.maxPayload());
        }
        VringBuffer b = acquireTx(l, timeoutNanos);
        if (b == null) {
            return false;
        }
        if (RpmsgHeaderLayout.SIZE + length > b.capacity()) {
            l.tx().release(b);
            throw tooLarge(length, b.capacity() - RpmsgHeaderLayout.SIZE);
        }
        MemorySegment.copy(data, 0, b.segment(), RpmsgHeaderLayout.SIZE, length);
        submitTx(l, b, ep.address(), dst, (int) length);
        return true;
    }

    @Nullable RpmsgTxBuffer txBuffer(RpmsgEndpoint ep, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        Link l = readyLink();
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
        Link l = Objects.requireNonNull(link);
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
            throw refused;
        }
        submitTx(l, buffer, ep.address(), dst, length);
    }

    void releaseTx(VringBuffer buffer) {
        Objects.requireNonNull(link).tx().release(buffer);
    }

    /** Writes the header and hands the buffer to the ring; a buffer the ring refuses goes back to the pool. */
    private void submitTx(Link l, VringBuffer b, int src, int dst, int length) {
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
        try {
            l.tx().flush();
        } catch (VringException e) {
            throw broken(e);
        }
    }

    private @Nullable VringBuffer acquireTx(Link l, long timeoutNanos) {
        VringBuffer b = acquireOnce(l);
        if (b != null || timeoutNanos == TRY) {
            return b;
        }
        return awaitTx(l, timeoutNanos);
    }

    private @Nullable VringBuffer acquireOnce(Link l) {
        try {
            VringBuffer b = l.tx().acquire();
            if (role == Role.HOST) {
                return b != null ? b : growTx(l);
            }
            // Remote: the host chose these buffers. One smaller than the negotiated size would sit in the free
            // pool for ever (every send too big for it), so it goes straight back to the host, unused.
            for (int i = 0; b != null && b.capacity() < l.txBufferSize() && i < l.tx().queue().num(); i++) {
                drop(Reason.SHORT_BUFFER, "the host posted a " + b.capacity() + "-byte RX buffer; the negotiated"
                        + " size is " + l.txBufferSize(), null);
                b.length(0);
                l.tx().submit(b);
                b = l.tx().acquire();
            }
            return b != null && b.capacity() < l.txBufferSize() ? giveBack(l, b) : b;
        } catch (VringException e) {
            throw broken(e);
        }
    }

    /** Returns a too-small remote TX buffer to the host and reports "none free". */
    private @Nullable VringBuffer giveBack(Link l, VringBuffer b) {
        b.length(0);
        l.tx().submit(b);
        return null;
    }

    /** Host: carves another TX buffer from the heap while the TX ring has descriptors for it (OpenAMP does the same, lazily). */
    private @Nullable VringBuffer growTx(Link l) {
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

    private VringBuffer awaitTx(Link l, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        txWaiters.incrementAndGet();
        try {
            while (true) {
                if (state != State.READY) {
                    throw unusable();
                }
                VringBuffer b = acquireOnce(l);
                if (b != null) {
                    return b;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new RpmsgException(Reason.NO_TX_BUFFER, name + ": no TX buffer came free within "
                            + Duration.ofNanos(timeoutNanos) + " (the " + peerName() + " has not returned any)");
                }
                if (dispatchLock.isHeldByCurrentThread()) {
                    // A send from a callback: keep giving the peer its buffers back (copying what they hold).
                    try {
                        if (drainToBacklog(l)) {
                            continue;
                        }
                    } catch (VringException e) {
                        throw broken(e);
                    }
                    LockSupport.parkNanos(this, Math.min(remaining, DISPATCHER_WAIT_NANOS));
                    continue;
                }
                txLock.lock();
                try {
                    if (state == State.READY && l.tx().freeBuffers() == 0 && !l.tx().hasInbound()) {
                        txFreed.awaitNanos(Math.min(remaining, SENDER_WAIT_NANOS));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RpmsgException(Reason.INTERRUPTED, name + ": interrupted waiting for a TX buffer");
                } finally {
                    txLock.unlock();
                }
            }
        } finally {
            txWaiters.decrementAndGet();
        }
    }

    private void signalTxWaiters() {
        if (txWaiters.get() > 0) {
            txLock.lock();
            try {
                txFreed.signalAll();
            } finally {
                txLock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------- state and failure

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
        Link l = link;
        return l == null ? 0 : l.features();
    }

    /** This side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String localCpuName() {
        Link l = link;
        return l == null ? "" : l.localCpu();
    }

    /** The other side's cpu name from {@code fw_rsc_config} with F_CPUNAME, else "". */
    public String remoteCpuName() {
        Link l = link;
        return l == null ? "" : l.remoteCpu();
    }

    /** TX and RX buffer sizes (header included), 0 before READY. */
    public int txBufferSize() {
        Link l = link;
        return l == null ? 0 : l.txBufferSize();
    }

    /** RX buffer size (header included), 0 before READY. */
    public int rxBufferSize() {
        Link l = link;
        return l == null ? 0 : l.rxBufferSize();
    }

    private String peerName() {
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
        Link l = link;
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

    private RpmsgException broken(VringException e) {
        fail(State.BROKEN, new RpmsgException(Reason.DEVICE_BROKEN, name + ": " + e.getMessage(), e));
        return unusable();
    }

    private void fail(State newState, RpmsgException why) {
        List<RpmsgEndpoint> bound = new ArrayList<>();
        List<RpmsgEndpoint> all;
        synchronized (lock) {
            State s = state;
            if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
                return;
            }
            failure = why;
            state = newState;
            remoteServices.clear();
            all = List.copyOf(endpoints.values());
            for (RpmsgEndpoint e : all) {
                if (e.isBound()) {
                    bound.add(e);
                }
            }
        }
        LOG.debug("{}: {}", name, why.getMessage());
        signalTxWaiters();
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
    }

    /** Throws if the device can never be used again. */
    void checkAlive() {
        State s = state;
        if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
            throw unusable();
        }
    }

    private Link readyLink() {
        Link l = link;
        if (state != State.READY || l == null) {
            throw unusable();
        }
        return l;
    }

    /** A fresh exception (this thread's stack) saying why the device cannot be used. */
    private RpmsgException unusable() {
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

    private void drop(Reason reason, String what, @Nullable Throwable cause) {
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

    private void callbackFailed(@Nullable RpmsgEndpoint ep, String callback, Throwable e) {
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
        LOG.warn("{}: {} of {} threw", name, callback, ep, e);
        drop(Reason.CALLBACK_FAILED, callback + " of " + ep + " threw " + e, e);
    }

    // ---------------------------------------------------------------- stats and dump

    /** Counters so far. */
    public RpmsgStats stats() {
        Map<Reason, Long> dropped = new EnumMap<>(Reason.class);
        for (Reason r : Reason.values()) {
            long n = drops.get(r.ordinal());
            if (n != 0) {
                dropped.put(r, n);
            }
        }
        Link l = link;
        return new RpmsgStats(sent.sum(), received.get(), dropped, l == null ? 0 : l.tx().freeBuffers(),
                txAllocated.get(), endpointCount());
    }

    private int endpointCount() {
        synchronized (lock) {
            return endpoints.size();
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
