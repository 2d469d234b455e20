package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;

import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgNsMessageLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiPredicate;

/**
 * OpenAMP's {@code rpmsg_virtio.c} with NuttX's patches, as one side of the rpmsg vdev runs it: the
 * driver (server: vring0 RX, vring1 TX, buffers from a pool it allocated in the carveout) or the device
 * (proxy: vring0 TX, vring1 RX, the driver's buffers). Endpoints by name with the two-phase name service
 * (F_ACK: an NS create is answered by a CREATE_ACK), dynamic addresses from 1024, a 16-byte header whose
 * {@code len} is the message length, descriptor lengths always the whole buffer.
 *
 * <p>Kicks follow {@code virtqueue_kick}: the driver notifies unless the device set {@code used.flags
 * NO_NOTIFY}, the device unless the driver set {@code avail.flags NO_INTERRUPT}; each side suppresses
 * kicks on its own TX queue ({@code virtqueue_disable_cb(svq)}). So the driver's RX refills and the
 * device's returns of TX buffers never kick. One lock guards both queues ({@code rdev->lock}); endpoint
 * callbacks run outside it, on the thread that processes (simplified: NuttX hands RX to its
 * {@code rpmsg-virtio} thread).
 */
public final class NuttxRpmsg {
    public static final int NS_ADDR = 0x35;
    public static final int ADDR_ANY = 0xFFFF_FFFF;
    /** {@code RPMSG_RESERVED_ADDRESSES}: the first dynamic endpoint address. */
    public static final int FIRST_DYNAMIC = 1024;
    /** {@code RPMSG_TICK_COUNT}: how long a send waits for a ready endpoint or a TX buffer (15 s). */
    public static final Duration SEND_WAIT = Duration.ofSeconds(15);

    /** An endpoint's receive callback ({@code rpmsg_ept_cb}): the payload, {@code hdr.len} bytes. */
    @FunctionalInterface
    public interface Callback {
        void onMessage(Endpoint endpoint, byte[] data, int src);
    }

    /** {@code struct rpmsg_endpoint}. */
    public final class Endpoint {
        private final String name;
        private final int addr;
        private final Callback callback;
        private volatile int dest;

        private Endpoint(String name, int addr, int dest, Callback callback) {
            this.name = name;
            this.addr = addr;
            this.dest = dest;
            this.callback = callback;
        }

        public String name() {
            return name;
        }

        public int addr() {
            return addr;
        }

        public int dest() {
            return dest;
        }

        /** {@code is_rpmsg_ept_ready}. */
        public boolean ready() {
            return dest != ADDR_ANY;
        }

        /** {@code rpmsg_send}: waits (1 ms polls, 15 s) until bound, then sends with a waiting buffer get. */
        public void send(byte[] data) {
            long deadline = System.nanoTime() + SEND_WAIT.toNanos();
            while (!ready()) {
                if (System.nanoTime() > deadline) {
                    throw new NuttxModelException("endpoint " + name + " never got a destination (RPMSG_ERR_ADDR)");
                }
                sleepMillis(1);
            }
            sendRaw(addr, dest, data);
        }
    }

    private final String role;
    private final MemorySegment file;
    private final boolean driver;
    private final NuttxVirtqueue rvq;
    private final NuttxVirtqueue svq;
    private final Runnable notify;
    private final int features;
    private final int txBufferSize;
    private final int rxBufferSize;
    private final String localCpu;
    private final String remoteCpu;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private final BitSet addresses = new BitSet();
    private final ArrayDeque<Long> pool = new ArrayDeque<>();
    private final Map<Long, NuttxVirtqueue.Buffer> deviceTxBuffers = new ConcurrentHashMap<>();
    private final List<String> unboundAnnouncements = new CopyOnWriteArrayList<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final List<BiPredicate<String, Integer>> binders = new CopyOnWriteArrayList<>();

    private NuttxRpmsg(String role, MemorySegment file, boolean driver, NuttxVirtqueue rvq, NuttxVirtqueue svq,
            Runnable notify, int features, int txBufferSize, int rxBufferSize, String localCpu, String remoteCpu) {
        this.role = role;
        this.file = file;
        this.driver = driver;
        this.rvq = rvq;
        this.svq = svq;
        this.notify = notify;
        this.features = features;
        this.txBufferSize = txBufferSize;
        this.rxBufferSize = rxBufferSize;
        this.localCpu = localCpu;
        this.remoteCpu = remoteCpu;
    }

    /**
     * {@code rpmsg_init_vdev_with_config} as driver: takes {@code pool} (offset of a block of
     * {@code 8·r2h + 8·h2r} bytes the caller allocated from the carveout heap), suppresses TX-complete
     * kicks, posts every RX buffer (zeroed, len = r2h) to vring0. The caller then writes DRIVER_OK.
     */
    public static NuttxRpmsg driver(MemorySegment file, NuttxVirtqueue vring0, NuttxVirtqueue vring1, long pool,
            Runnable notify, int features, int h2r, int r2h, String localCpu, String remoteCpu) {
        NuttxRpmsg r = new NuttxRpmsg("server", file, true, vring0, vring1, notify, features, h2r, r2h, localCpu,
                remoteCpu);
        vring1.driverDisableCallback();
        for (int i = 0; i < vring0.num(); i++) {
            long buffer = pool + (long) r2h * i;
            file.asSlice(buffer, r2h).fill((byte) 0);
            vring0.addBuffer(buffer, r2h, true);
        }
        long tx = pool + (long) r2h * vring0.num();
        for (int i = 0; i < vring1.num(); i++) {
            r.pool.add(tx + (long) h2r * i);
        }
        return r;
    }

    /** {@code rpmsg_init_vdev_with_config} as device: suppresses kicks for returned TX buffers (vring0). */
    public static NuttxRpmsg device(MemorySegment file, NuttxVirtqueue vring0, NuttxVirtqueue vring1,
            Runnable notify, int features, int h2r, int r2h, String localCpu, String remoteCpu) {
        vring0.deviceDisableCallback();
        return new NuttxRpmsg("proxy", file, false, vring1, vring0, notify, features, r2h, h2r, localCpu, remoteCpu);
    }

    public int features() {
        return features;
    }

    public boolean supportsNs() {
        return (features & NuttxTable.F_NS) != 0;
    }

    public boolean supportsAck() {
        return (features & NuttxTable.F_ACK) != 0;
    }

    /** This side's cpu name, from {@code fw_rsc_config}. */
    public String localCpu() {
        return localCpu;
    }

    /** The peer's cpu name: the {@code /dev/rpmsg/<name>} NuttX registers. */
    public String remoteCpu() {
        return remoteCpu;
    }

    /** Largest payload this side can send: its TX buffer size less the 16-byte header (1,520). */
    public int maxPayload() {
        return txBufferSize - RpmsgHeaderLayout.SIZE;
    }

    public long received() {
        return received.get();
    }

    public long sent() {
        return sent.get();
    }

    /** Messages dropped: no endpoint at {@code dst}, or a {@code len} longer than the buffer. */
    public long dropped() {
        return dropped.get();
    }

    /** Names announced by the peer that matched no local endpoint (NuttX's bind list). */
    public List<String> unboundAnnouncements() {
        return List.copyOf(unboundAnnouncements);
    }

    /**
     * Registers a service for NS creates that match no endpoint ({@code rpmsg_register_callback}'s
     * {@code ns_match} + {@code ns_bind}): it returns true when it took the name.
     */
    public void addNsBinder(BiPredicate<String, Integer> binder) {
        binders.add(binder);
    }

    public List<Endpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /** The local endpoint called {@code name}, or null. */
    public Endpoint endpoint(String name) {
        for (Endpoint e : endpoints) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    /**
     * {@code rpmsg_create_ept(name, ANY, dest)}: the lowest free address from 1024; with NS and no
     * destination it announces itself (NS create), with F_ACK and a destination it acknowledges.
     */
    public Endpoint createEndpoint(String name, int dest, Callback callback) {
        RpmsgNsMessageLayout.nameBytes(name);
        Endpoint e;
        lock.lock();
        try {
            int addr = addresses.nextClearBit(FIRST_DYNAMIC);
            addresses.set(addr);
            e = new Endpoint(name, addr, dest, callback);
            endpoints.add(e);
        } finally {
            lock.unlock();
        }
        if (!name.isEmpty() && supportsNs() && dest == ADDR_ANY) {
            sendNs(e, RpmsgNsMessageLayout.CREATE);
        } else if (!name.isEmpty() && supportsAck() && dest != ADDR_ANY) {
            sendNs(e, RpmsgNsMessageLayout.CREATE_ACK);
        }
        return e;
    }

    /**
     * {@code rpmsg_destroy_ept}: the endpoint is gone, and with NS a destroy is announced for a dynamic
     * address.
     */
    public void destroyEndpoint(Endpoint e) {
        lock.lock();
        try {
            if (!endpoints.remove(e)) {
                return;
            }
            addresses.clear(e.addr);
        } finally {
            lock.unlock();
        }
        if (!e.name.isEmpty() && supportsNs() && e.addr >= FIRST_DYNAMIC) {
            sendNs(e, RpmsgNsMessageLayout.DESTROY);
        }
    }

    private void sendNs(Endpoint e, int flags) {
        byte[] msg = new byte[RpmsgNsMessageLayout.SIZE];
        RpmsgNsMessageLayout.write(MemorySegment.ofArray(msg), e.name, e.addr, flags);
        sendRaw(e.addr, NS_ADDR, msg);
    }

    /**
     * {@code rpmsg_send_offchannel_raw} with wait: a TX buffer (waiting up to 15 s in 1 ms sleeps), the
     * header and payload written, the buffer enqueued with its whole length, a kick unless suppressed.
     */
    public void sendRaw(int src, int dst, byte[] data) {
        long deadline = System.nanoTime() + SEND_WAIT.toNanos();
        while (!trySendRaw(src, dst, data)) {
            if (System.nanoTime() > deadline) {
                throw new NuttxModelException(role + ": no TX buffer for 15 s (RPMSG_ERR_NO_BUFF)");
            }
            sleepMillis(1);
        }
    }

    /** {@code rpmsg_send_offchannel_raw} without wait: false when no TX buffer is free right now. */
    public boolean trySendRaw(int src, int dst, byte[] data) {
        if (data.length > maxPayload()) {
            throw new IllegalArgumentException("payload of " + data.length + " bytes; at most " + maxPayload());
        }
        lock.lock();
        try {
            long buffer = takeTxBuffer();
            if (buffer < 0) {
                return false;
            }
            RpmsgHeaderLayout.write(file.asSlice(buffer, RpmsgHeaderLayout.SIZE), src, dst, data.length);
            file.set(LE_U32, buffer + RpmsgHeaderLayout.RESERVED_OFFSET, 0);
            MemorySegment.copy(data, 0, file, ValueLayout.JAVA_BYTE, buffer + RpmsgHeaderLayout.SIZE, data.length);
            if (driver) {
                svq.addBuffer(buffer, txBufferSize, false);
                kick(svq.driverMustNotify());
            } else {
                NuttxVirtqueue.Buffer taken = deviceTxBuffers.remove(buffer);
                svq.addConsumedBuffer(taken.head(), taken.len());
                kick(svq.deviceMustNotify());
            }
            sent.incrementAndGet();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@code rpmsg_virtio_get_tx_buffer}; -1 when none is free right now. Lock held. */
    private long takeTxBuffer() {
        if (driver) {
            NuttxVirtqueue.Buffer used = svq.getBuffer();
            if (used != null) {
                return used.offset();
            }
            Long fresh = svq.freeCount() > 0 ? pool.poll() : null;
            return fresh == null ? -1 : fresh;
        }
        NuttxVirtqueue.Buffer avail = svq.getFirstAvailBuffer();
        if (avail == null) {
            return -1;
        }
        if (avail.len() < RpmsgHeaderLayout.SIZE + maxPayload()) {
            throw new NuttxModelException(role + ": the driver's RX buffer at 0x" + Long.toHexString(avail.offset())
                    + " is " + avail.len() + " bytes, less than the " + txBufferSize + " fw_rsc_config promises");
        }
        deviceTxBuffers.put(avail.offset(), avail);
        return avail.offset();
    }

    private void kick(boolean mustNotify) {
        if (mustNotify) {
            notify.run();
        }
    }

    /** Whether a notification finds work on either queue. */
    public boolean hasWork() {
        lock.lock();
        try {
            return rvq.hasWork() || svq.hasWork();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code rpmsg_virtio_rx_callback}: every received buffer, one by one: the header read, the endpoint
     * found by {@code dst} (adopting {@code src} if it had no destination), its callback run outside the
     * lock, the buffer given back (driver: posted again with len r2h; device: returned with its desc len).
     *
     * @return messages handled
     */
    public int processRx() {
        int n = 0;
        while (true) {
            NuttxVirtqueue.Buffer b;
            lock.lock();
            try {
                b = driver ? rvq.getBuffer() : rvq.getFirstAvailBuffer();
            } finally {
                lock.unlock();
            }
            if (b == null) {
                return n;
            }
            n++;
            int capacity = driver ? rxBufferSize : b.len();
            try {
                deliver(b, capacity);
            } finally {
                lock.lock();
                try {
                    if (driver) {
                        rvq.addBuffer(b.offset(), rxBufferSize, true);
                        kick(rvq.driverMustNotify());
                    } else {
                        rvq.addConsumedBuffer(b.head(), b.len());
                        kick(rvq.deviceMustNotify());
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void deliver(NuttxVirtqueue.Buffer b, int capacity) {
        if (capacity < RpmsgHeaderLayout.SIZE) {
            throw new NuttxModelException(role + ": RX buffer of " + capacity + " bytes cannot hold a header");
        }
        long at = b.offset();
        // OpenAMP keeps the descriptor index in the received header's reserved word while it holds it.
        file.set(LE_U32, at + RpmsgHeaderLayout.RESERVED_OFFSET, b.head());
        int src = file.get(LE_U32, at + RpmsgHeaderLayout.SRC_OFFSET);
        int dst = file.get(LE_U32, at + RpmsgHeaderLayout.DST_OFFSET);
        int len = Short.toUnsignedInt(file.get(LE_U16, at + RpmsgHeaderLayout.LEN_OFFSET));
        if (len > capacity - RpmsgHeaderLayout.SIZE) {
            dropped.incrementAndGet();
            return;
        }
        byte[] data = new byte[len];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, at + RpmsgHeaderLayout.SIZE, data, 0, len);
        received.incrementAndGet();
        if (dst == NS_ADDR && (supportsNs() || supportsAck())) {
            onNs(data);
            return;
        }
        Endpoint e = null;
        for (Endpoint candidate : endpoints) {
            if (candidate.addr == dst) {
                e = candidate;
                break;
            }
        }
        if (e == null) {
            dropped.incrementAndGet();
            return;
        }
        if (e.dest == ADDR_ANY) {
            e.dest = src;
        }
        e.callback.onMessage(e, data, src);
    }

    /** {@code rpmsg_virtio_ns_callback} with NuttX's F_ACK patch. */
    private void onNs(byte[] data) {
        if (data.length != RpmsgNsMessageLayout.SIZE) {
            return;
        }
        MemorySegment msg = MemorySegment.ofArray(data);
        String name = RpmsgNsMessageLayout.name(msg);
        int dest = RpmsgNsMessageLayout.addr(msg);
        int flags = RpmsgNsMessageLayout.flags(msg);
        Endpoint e = lookup(name, dest);
        if (flags == RpmsgNsMessageLayout.DESTROY) {
            if (e != null) {
                e.dest = ADDR_ANY;
            }
        } else if (flags == RpmsgNsMessageLayout.CREATE) {
            if (e == null) {
                if (binders.stream().noneMatch(b -> b.test(name, dest))) {
                    unboundAnnouncements.add(name);
                }
            } else {
                e.dest = dest;
                if (!e.name.isEmpty() && supportsAck()) {
                    sendNs(e, RpmsgNsMessageLayout.CREATE_ACK);
                }
            }
        } else if (e != null) {
            e.dest = dest;
        }
    }

    /** {@code rpmsg_get_endpoint(rdev, name, ANY, dest)}. */
    private Endpoint lookup(String name, int dest) {
        for (Endpoint e : endpoints) {
            if (!e.name.equals(name)) {
                continue;
            }
            if (dest != ADDR_ANY && e.dest == dest) {
                return e;
            }
            if (e.dest == ADDR_ANY) {
                return e;
            }
        }
        return null;
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NuttxModelException("interrupted");
        }
    }

    /** Snapshot for diagnostics. */
    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        endpoints.forEach(e -> names.add(e.name + "@" + e.addr + "->" + Integer.toUnsignedString(e.dest)));
        return role + " rpmsg " + names + " sent " + sent + " received " + received + " dropped " + dropped;
    }
}
