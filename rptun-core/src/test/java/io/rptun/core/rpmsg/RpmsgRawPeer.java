package io.rptun.core.rpmsg;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One shared segment laid out the way {@link RpmsgLoopback} lays it out (the NuttX table with a fitting
 * carveout, the memory plan applied, the vdev's carveout heap), with no device on it yet; plus raw peers
 * made of bare {@link VirtqueuePort}s, which write whatever header they are told: {@link Remote} plays a
 * hostile remote against a real host, {@link Host} a hostile host against a real remote. Nothing here
 * kicks: the tests drive the real device with {@link RpmsgDevice#process()} themselves.
 */
final class RpmsgRawPeer implements AutoCloseable {
    /** Descriptors per vring in the rigs. */
    static final int NUM = 16;
    /** Buffer size both ways in the rigs. */
    static final int BUFFER = 512;
    /** Where the raw peer says its messages come from. */
    static final int PEER = 0x800;
    static final HexFormat HEX = HexFormat.of();
    /** Hang guard only: every send in the rigs finds a buffer at once or not at all. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(2);

    private static final long ALIGN = 0x1000;
    private final Arena arena;
    private final MemorySegment memory;
    private final LiveResourceTable table;
    private final CarveoutHeap heap;
    private final SharedRegion region;
    private final int num;
    private final int bufferSize;

    private RpmsgRawPeer(RptunRsc rsc, int bufferSize) {
        long size = RpmsgLoopback.regionSize(rsc);
        RptunRsc sized = rsc.withCarveout(RpmsgAddresses.ANY & 0xFFFF_FFFFL, RpmsgAddresses.ANY & 0xFFFF_FFFFL,
                size - WireLayouts.alignUp(rsc.generation().size(), ALIGN));
        byte[] bytes = sized.toBytes();
        this.arena = Arena.ofShared();
        this.memory = arena.allocate(size, 4096);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
        ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
        MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(),
                PlanOptions.of(size).withTableReserve(rsc.generation().size()));
        this.table = parsed.attach(memory);
        plan.apply(memory, table);
        this.heap = plan.carveoutHeap(0);
        this.region = SharedRegion.of(memory, 0, AddressEnvironment.identity());
        this.num = rsc.vringNum();
        this.bufferSize = bufferSize;
    }

    /** NuttX's table with {@code num} descriptors per vring and {@code bufferSize}-byte buffers both ways. */
    static RpmsgRawPeer over(int num, int bufferSize) {
        return new RpmsgRawPeer(RpmsgLoopback.table(num, bufferSize), bufferSize);
    }

    /** A real host on this segment (it does its handshake at once), never kicking anyone. */
    RpmsgDevice realHost(RpmsgOptions options) {
        // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
        return RpmsgDevice.host(region, table, heap, PeerNotifier.NONE, options);
    }

    /** A real remote on this segment, STARTING until a host writes DRIVER_OK and it is processed. */
    RpmsgDevice realRemote(RpmsgOptions options) {
        return RpmsgDevice.remote(region, table, PeerNotifier.NONE, options);
    }

    /** A raw remote: device ports on both vrings. Only once a host wrote DRIVER_OK. */
    Remote rawRemote() {
        assertThat(table.status(0) & RpmsgAddresses.STATUS_DRIVER_OK).as("DRIVER_OK").isNotZero();
        return new Remote();
    }

    /**
     * A raw host, half started: status reset, gfeatures written, both vrings cleared, driver ports made.
     * Post RX buffers ({@link Host#postRx}) and then say {@link Host#driverOk()}.
     */
    Host rawHost(int features) {
        return new Host(features);
    }

    int num() {
        return num;
    }

    int bufferSize() {
        return bufferSize;
    }

    CarveoutHeap heap() {
        return heap;
    }

    LiveResourceTable table() {
        return table;
    }

    SharedRegion region() {
        return region;
    }

    /** Vring {@code index} of vdev 0, where the plan put it. */
    Vring vring(int index) {
        return Vring.at(region, table.vringDa(0, index), num, ALIGN);
    }

    /** {@code avail.idx} of vring {@code index}. */
    int availIdx(int index) {
        return VringAvailLayout.idxAcquire(vring(index).memory(), VringLayout.availOffset(num));
    }

    /** {@code avail.ring[idx & (num - 1)]} of vring {@code index}. */
    int availRing(int index, int idx) {
        return VringAvailLayout.ring(vring(index).memory(), VringLayout.availOffset(num), idx & (num - 1));
    }

    /** {@code used.idx} of vring {@code index}. */
    int usedIdx(int index) {
        return VringUsedLayout.idxAcquire(vring(index).memory(), VringLayout.usedOffset(num, ALIGN));
    }

    /** {@code used.ring[idx & (num - 1)].id} of vring {@code index}. */
    int usedId(int index, int idx) {
        return VringUsedLayout.id(vring(index).memory(), VringLayout.usedOffset(num, ALIGN), idx & (num - 1));
    }

    /** Writes {@code used.ring[idx & (num - 1)]} of vring {@code index} behind every port's back. */
    void scribbleUsedElement(int index, int idx, int id, int len) {
        VringUsedLayout.element(vring(index).memory(), VringLayout.usedOffset(num, ALIGN), idx & (num - 1), id, len);
    }

    /** Writes {@code used.idx} of vring {@code index} behind every port's back. */
    void scribbleUsedIdx(int index, int idx) {
        VringUsedLayout.idxRelease(vring(index).memory(), VringLayout.usedOffset(num, ALIGN), idx & 0xFFFF);
    }

    /** Writes a whole rpmsg header, every field as given (len is cut to u16, nothing is checked). */
    static void writeHeader(MemorySegment buffer, int src, int dst, int reserved, int len, int flags) {
        buffer.set(LE_U32, RpmsgHeaderLayout.SRC_OFFSET, src);
        buffer.set(LE_U32, RpmsgHeaderLayout.DST_OFFSET, dst);
        buffer.set(LE_U32, RpmsgHeaderLayout.RESERVED_OFFSET, reserved);
        buffer.set(LE_U16, RpmsgHeaderLayout.LEN_OFFSET, (short) len);
        buffer.set(LE_U16, RpmsgHeaderLayout.FLAGS_OFFSET, (short) flags);
    }

    /** Copies as much of {@code payload} as fits after the header. */
    static void writePayload(VringBuffer buffer, byte[] payload) {
        int n = (int) Math.min(payload.length, Math.max(0, buffer.capacity() - RpmsgHeaderLayout.SIZE));
        MemorySegment.copy(payload, 0, buffer.segment(), ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, n);
    }

    /** A 40-byte name-service message: {@code name} raw (up to 32 bytes, NUL-padded), addr, flags. */
    static byte[] nsMessage(byte[] name, int addr, int flags) {
        byte[] msg = new byte[RpmsgNsMessageLayout.SIZE];
        System.arraycopy(name, 0, msg, 0, Math.min(name.length, RpmsgNsMessageLayout.NAME_SIZE));
        MemorySegment seg = MemorySegment.ofArray(msg);
        seg.set(LE_U32, RpmsgNsMessageLayout.ADDR_OFFSET, addr);
        seg.set(LE_U32, RpmsgNsMessageLayout.FLAGS_OFFSET, flags);
        return msg;
    }

    /** What a raw peer read from a buffer: the header and the payload bytes that lie inside the buffer. */
    record Received(int src, int dst, int len, byte[] payload) {
    }

    /** The message in {@code b}, or null when its sender wrote less than a header (used.len or desc.len). */
    private static @Nullable Received read(VringBuffer b) {
        if (b.length() < RpmsgHeaderLayout.SIZE) {
            return null;
        }
        MemorySegment seg = b.segment();
        int len = RpmsgHeaderLayout.len(seg);
        int n = (int) Math.min(len, Math.max(0, b.capacity() - RpmsgHeaderLayout.SIZE));
        byte[] payload = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, payload, 0, n);
        return new Received(RpmsgHeaderLayout.src(seg), RpmsgHeaderLayout.dst(seg), len, payload);
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A hostile remote: vring 0 is its TX (the host's RX buffers), vring 1 its RX (the host's TX buffers). */
    final class Remote {
        final VirtqueuePort tx = VirtqueuePort.device("raw.tx", vring(0), region, Mode.SEND, Notifier.NONE);
        final VirtqueuePort rx = VirtqueuePort.device("raw.rx", vring(1), region, Mode.RECEIVE, Notifier.NONE);

        /** A host RX buffer to fill, or null when the host has none posted right now. */
        @Nullable VringBuffer acquire() {
            return tx.acquire();
        }

        /** Fills {@code b} with the header as given and the payload, and returns it whole (used.len = capacity). */
        void send(VringBuffer b, int src, int dst, int reserved, int len, int flags, byte[] payload) {
            writeHeader(b.segment(), src, dst, reserved, len, flags);
            writePayload(b, payload);
            b.length((int) b.capacity());
            tx.submit(b);
        }

        /** {@link #send} into a fresh buffer; false when the host has none posted. */
        boolean trySend(int src, int dst, int len, int flags, byte[] payload) {
            VringBuffer b = acquire();
            if (b == null) {
                return false;
            }
            send(b, src, dst, 0, len, flags, payload);
            return true;
        }

        /** A well-formed message: hdr.len is the payload's length. */
        void sendOrFail(int src, int dst, byte[] payload) {
            assertThat(trySend(src, dst, payload.length, 0, payload)).as("the host has an RX buffer posted").isTrue();
        }

        /** How many host RX buffers this remote can take right now (they stay with it, free). */
        int countFree() {
            List<VringBuffer> taken = new ArrayList<>();
            for (VringBuffer b = tx.acquire(); b != null; b = tx.acquire()) {
                taken.add(b);
            }
            taken.forEach(tx::release);
            return taken.size();
        }

        /** Everything the host sent so far; each buffer goes back to it at once. */
        List<Received> receive() {
            List<Received> out = new ArrayList<>();
            rx.receive(b -> {
                Received r = read(b);
                if (r != null) {
                    out.add(r);
                }
                rx.submit(b);
            }, num);
            return out;
        }
    }

    /** A hostile host: vring 0 is its RX (buffers the remote fills), vring 1 its TX. */
    final class Host {
        final VirtqueuePort rx;
        final VirtqueuePort tx;
        private int txAllocated;

        private Host(int features) {
            table.setStatus(0, 0);
            table.setGfeatures(0, table.dfeatures(0) & features);
            Vring rxRing = vring(0);
            Vring txRing = vring(1);
            rxRing.clear();
            txRing.clear();
            this.rx = VirtqueuePort.driver("raw.rx", rxRing, region, Mode.RECEIVE, Notifier.NONE);
            this.tx = VirtqueuePort.driver("raw.tx", txRing, region, Mode.SEND, Notifier.NONE);
        }

        /** Posts {@code count} standard RX buffers from the heap. */
        Host postRx(int count) {
            for (int i = 0; i < count; i++) {
                postRx(rxBuffer(bufferSize));
            }
            return this;
        }

        /** An RX buffer of {@code capacity} bytes from the heap (desc.len will be the capacity). */
        VringBuffer rxBuffer(int capacity) {
            VringBuffer b = rx.allocateBuffer(heap, capacity);
            assertThat(b).as("heap room for an RX buffer").isNotNull();
            return b;
        }

        /** An RX buffer anywhere in the region: the resource table at offset 0, say. */
        VringBuffer rxBufferAt(long offset, int capacity) {
            return rx.addBuffer(offset, capacity);
        }

        Host postRx(VringBuffer b) {
            rx.submit(b);
            return this;
        }

        /** Writes DRIVER_OK: the remote may attach from now on. */
        Host driverOk() {
            table.setStatus(0, RpmsgAddresses.STATUS_DRIVER_OK);
            return this;
        }

        /** A free TX buffer: one the remote returned, else a new one from the heap. */
        VringBuffer txBuffer() {
            VringBuffer b = tx.acquire();
            if (b == null) {
                assertThat(txAllocated).as("TX buffers").isLessThan(num);
                b = tx.allocateBuffer(heap, bufferSize);
                assertThat(b).as("heap room for a TX buffer").isNotNull();
                txAllocated++;
            }
            return b;
        }

        /** A TX buffer anywhere in the region, written nowhere by this class. */
        VringBuffer txBufferAt(long offset, int capacity) {
            txAllocated++;
            return tx.addBuffer(offset, capacity);
        }

        /** Fills {@code b} with the header and payload and offers it with desc.len = {@code descLen}. */
        void send(VringBuffer b, int src, int dst, int len, byte[] payload, int descLen) {
            writeHeader(b.segment(), src, dst, 0, len, 0);
            writePayload(b, payload);
            offer(b, descLen);
        }

        /** A well-formed message in a whole buffer. */
        void send(int src, int dst, byte[] payload) {
            VringBuffer b = txBuffer();
            send(b, src, dst, payload.length, payload, (int) b.capacity());
        }

        /** Offers {@code b} as it is, with desc.len = {@code descLen}. */
        void offer(VringBuffer b, int descLen) {
            b.length(descLen);
            tx.submit(b);
        }

        /** Everything the remote sent so far (not buffers it returned empty); each buffer is posted again at once. */
        List<Received> receive() {
            List<Received> out = new ArrayList<>();
            rx.receive(b -> {
                Received r = read(b);
                if (r != null) {
                    out.add(r);
                }
                rx.submit(b);
            }, num);
            return out;
        }
    }

    // ---------------------------------------------------------------- rigs for the tests

    record Drop(RpmsgDevice device, RpmsgException why) {
    }

    /** Records what an endpoint is told; holds every message when {@link #hold} is set. */
    static final class Inbox implements RpmsgListener {
        final List<String> payloads = new ArrayList<>();
        final List<Integer> sources = new ArrayList<>();
        final List<RpmsgMessage> held = new ArrayList<>();
        boolean hold;
        int bound;
        int unbound;

        @Override
        public void onMessage(RpmsgEndpoint endpoint, RpmsgMessage message) {
            payloads.add(HEX.formatHex(message.toByteArray()));
            sources.add(message.src());
            if (hold) {
                held.add(message.hold());
            }
        }

        @Override
        public void onBound(RpmsgEndpoint endpoint) {
            bound++;
        }

        @Override
        public void onUnbind(RpmsgEndpoint endpoint) {
            unbound++;
        }
    }

    /** A real host and a raw remote over one segment (NUM descriptors, BUFFER bytes), no kicks. */
    static final class HostRig implements AutoCloseable {
        final RpmsgRawPeer peer = RpmsgRawPeer.over(NUM, BUFFER);
        final List<Drop> drops = new ArrayList<>();
        final RpmsgDevice host;
        final RpmsgRawPeer.Remote raw;

        HostRig() {
            this(o -> o);
        }

        HostRig(UnaryOperator<RpmsgOptions> options) {
            try {
                host = peer.realHost(options.apply(RpmsgOptions.defaults().withName("host")
                        .withSendTimeout(SEND_TIMEOUT)
                        .withDropListener((device, why) -> drops.add(new Drop(device, why)))));
                raw = peer.rawRemote();
            } catch (RuntimeException | Error e) {
                peer.close();
                throw e;
            }
        }

        /** The raw remote fills a host RX buffer (serving the host first if it has none posted). */
        void send(int src, int dst, int reserved, int len, int flags, byte[] payload) {
            VringBuffer b = raw.acquire();
            if (b == null) {
                assertThat(host.process()).as("buffers the host had to give back").isPositive();
                b = raw.acquire();
                assertThat(b).as("an RX buffer the host posted again").isNotNull();
            }
            raw.send(b, src, dst, reserved, len, flags, payload);
        }

        void send(int dst, byte[] payload) {
            send(PEER, dst, 0, payload.length, 0, payload);
        }

        int processAll() {
            int total = 0;
            for (int n = host.process(); n > 0; n = host.process()) {
                total += n;
            }
            return total;
        }

        List<Reason> dropReasons() {
            drops.forEach(d -> assertThat(d.device()).isSameAs(host));
            return drops.stream().map(d -> d.why().reason()).toList();
        }

        @Override
        public void close() {
            try {
                host.close();
            } finally {
                peer.close();
            }
        }
    }

    /** A raw host (RX buffers posted by {@code poster}, then DRIVER_OK) and a real remote, READY; no kicks. */
    static final class RemoteRig implements AutoCloseable {
        final RpmsgRawPeer peer = RpmsgRawPeer.over(NUM, BUFFER);
        final List<Drop> drops = new ArrayList<>();
        final RpmsgRawPeer.Host raw;
        final RpmsgDevice remote;

        RemoteRig(Consumer<RpmsgRawPeer.Host> poster) {
            try {
                remote = peer.realRemote(RpmsgOptions.defaults().withName("remote").withSendTimeout(SEND_TIMEOUT)
                        .withDropListener((device, why) -> drops.add(new Drop(device, why))));
                raw = peer.rawHost(RpmsgAddresses.SUPPORTED);
                poster.accept(raw);
                raw.driverOk();
                remote.process();
                assertThat(remote.state()).isEqualTo(RpmsgDevice.State.READY);
            } catch (RuntimeException | Error e) {
                peer.close();
                throw e;
            }
        }

        List<Reason> dropReasons() {
            drops.forEach(d -> assertThat(d.device()).isSameAs(remote));
            return drops.stream().map(d -> d.why().reason()).toList();
        }

        @Override
        public void close() {
            try {
                remote.close();
            } finally {
                peer.close();
            }
        }
    }
}
