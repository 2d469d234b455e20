package io.rptun.reliability;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One shared segment laid out as {@code RpmsgLoopback} does (NuttX's current table, the plan applied, the
 * carveout heap), a real host {@link RpmsgDevice} on it that nobody kicks, and a raw remote made of bare
 * device {@link VirtqueuePort}s that writes whatever headers and payloads it is told. For the fuzz targets:
 * everything runs on the calling thread, so one input is one deterministic run.
 */
final class FuzzRig implements AutoCloseable {
    static final long ALIGN = 0x1000;
    static final long REGION = 0x20000;
    /** Long enough never to fail a send the raw remote will serve; short, since the rig is single-threaded. */
    static final Duration SEND_TIMEOUT = Duration.ofMillis(2);

    final Arena arena = Arena.ofConfined();
    final MemorySegment memory;
    final LiveResourceTable table;
    final SharedRegion region;
    final CarveoutHeap heap;
    final int num;
    final int bufferSize;
    /** Where the vdev's carveout lies in the segment: no buffer handed to a user may lie elsewhere. */
    final long carveoutFrom;
    final long carveoutTo;
    final List<RpmsgException> drops = new ArrayList<>();
    /** Everything the oracle found wrong, collected (a callback that throws would only be counted as a drop). */
    final List<String> violations = new ArrayList<>();
    /** The real device under test: the host, or with {@link #remoteVictim} the remote. */
    final RpmsgDevice host;
    /** The raw peer's sending port (a device port on vring 0, or a driver port on vring 1 for a raw host). */
    final VirtqueuePort rawTx;
    /** The raw peer's receiving port (a device port on vring 1, or a driver port on vring 0 for a raw host). */
    final VirtqueuePort rawRx;
    /** True when the raw peer is the host and {@link #host} is in fact a real remote. */
    final boolean remoteVictim;

    FuzzRig(int num, int bufferSize, int dfeatures, RpmsgOptions hostOptions) {
        this(num, bufferSize, dfeatures, hostOptions, false);
    }

    /**
     * @param remoteVictim false: a real host and a raw remote; true: a raw host (RX buffers posted from the heap,
     *     DRIVER_OK written) and a real remote, started, in {@link #host}
     */
    FuzzRig(int num, int bufferSize, int dfeatures, RpmsgOptions hostOptions, boolean remoteVictim) {
        this.remoteVictim = remoteVictim;
        this.num = num;
        this.bufferSize = bufferSize;
        RptunRsc rsc = RptunRsc.defaults(Generation.CURRENT).withVrings(num, ALIGN)
                .withBufferSizes(bufferSize, bufferSize).withFeatures(dfeatures);
        long tableReserve = WireLayouts.alignUp(rsc.generation().size(), ALIGN);
        byte[] bytes = rsc.withCarveout(RpmsgAddresses.ANY & 0xFFFF_FFFFL, RpmsgAddresses.ANY & 0xFFFF_FFFFL,
                REGION - tableReserve).toBytes();
        boolean done = false;
        try {
            memory = arena.allocate(REGION, 4096);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
            MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(),
                    PlanOptions.of(REGION).withTableReserve(rsc.generation().size()));
            table = parsed.attach(memory);
            plan.apply(memory, table);
            heap = plan.carveoutHeap(0);
            region = SharedRegion.of(memory, 0, AddressEnvironment.identity());
            long carveoutLen = parsed.table().carveouts().getFirst().len();
            carveoutFrom = region.offsetOfDa(table.carveoutDa(0), carveoutLen);
            carveoutTo = carveoutFrom + carveoutLen;
            RpmsgOptions options = hostOptions.withName(remoteVictim ? "remote" : "host").withSendTimeout(SEND_TIMEOUT)
                    .withDropListener((device, why) -> drops.add(why));
            if (remoteVictim) {
                table.setStatus(0, 0);
                table.setGfeatures(0, table.dfeatures(0));
                vring(0).clear();
                vring(1).clear();
                rawRx = VirtqueuePort.driver("raw.rx", vring(0), region, Mode.RECEIVE, Notifier.NONE);
                rawTx = VirtqueuePort.driver("raw.tx", vring(1), region, Mode.SEND, Notifier.NONE);
                for (int i = 0; i < num; i++) {
                    rawRx.stage(java.util.Objects.requireNonNull(rawRx.allocateBuffer(heap, bufferSize)));
                    rawTx.release(java.util.Objects.requireNonNull(rawTx.allocateBuffer(heap, bufferSize)));
                }
                rawRx.flush();
                table.setStatus(0, RpmsgAddresses.STATUS_DRIVER_OK);
                // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
                host = RpmsgDevice.remote(region, table, PeerNotifier.NONE, options);
                host.process();
            } else {
                host = RpmsgDevice.host(region, table, heap, PeerNotifier.NONE, options);
                rawTx = VirtqueuePort.device("raw.tx", vring(0), region, Mode.SEND, Notifier.NONE);
                rawRx = VirtqueuePort.device("raw.rx", vring(1), region, Mode.RECEIVE, Notifier.NONE);
            }
            done = true;
        } finally {
            if (!done) {
                arena.close();
            }
        }
    }

    Vring vring(int index) {
        return Vring.at(region, table.vringDa(0, index), num, ALIGN);
    }

    /** The host's RX buffer size: the most a raw message may fill. */
    int rxCapacity() {
        return host.rxBufferSize();
    }

    /**
     * Checks a segment the device handed to a user: a copy (heap memory) is fine; shared memory must lie
     * wholly inside the carveout.
     */
    void checkInsideCarveout(String what, MemorySegment segment) {
        if (!segment.isNative()) {
            return;
        }
        long from = segment.address() - memory.address();
        long to = from + segment.byteSize();
        if (from < carveoutFrom || to > carveoutTo) {
            violations.add(what + " at [0x" + Long.toHexString(from) + ", 0x" + Long.toHexString(to)
                    + ") is outside the carveout [0x" + Long.toHexString(carveoutFrom) + ", 0x"
                    + Long.toHexString(carveoutTo) + ")");
        }
    }

    /** A raw message as the remote wrote it. */
    record Raw(int src, int dst, int len, byte[] payload, int capacity) {
        boolean fits() {
            return RpmsgHeaderLayout.SIZE + len <= capacity;
        }

        /** The payload bytes the host should deliver: hdr.len of them, whatever was written. */
        byte[] delivered(MemorySegment buffer) {
            byte[] out = new byte[len];
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, out, 0, len);
            return out;
        }
    }

    /**
     * The raw remote fills one host RX buffer with exactly these header fields and payload bytes and returns
     * it with {@code used.len} (cut to the buffer). Serves the host first if it has no buffer posted.
     *
     * @return what the host will read, or null when the host has no RX buffer for it
     */
    @Nullable Raw send(int src, int dst, int reserved, int len, int flags, byte[] payload, int usedLen) {
        VringBuffer b = rawTx.acquire();
        if (b == null) {
            drainHostTx(0);
            try {
                host.process();
            } catch (RpmsgException e) {
                return null; // a broken device under test: the caller looks at its state
            }
            b = rawTx.acquire();
            if (b == null) {
                return null;
            }
        }
        MemorySegment seg = b.segment();
        seg.fill((byte) 0);
        seg.set(LE_U32, RpmsgHeaderLayout.SRC_OFFSET, src);
        seg.set(LE_U32, RpmsgHeaderLayout.DST_OFFSET, dst);
        seg.set(LE_U32, RpmsgHeaderLayout.RESERVED_OFFSET, reserved);
        seg.set(LE_U16, RpmsgHeaderLayout.LEN_OFFSET, (short) len);
        seg.set(LE_U16, RpmsgHeaderLayout.FLAGS_OFFSET, (short) flags);
        int n = (int) Math.min(payload.length, b.capacity() - RpmsgHeaderLayout.SIZE);
        MemorySegment.copy(payload, 0, seg, ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, n);
        Raw raw = new Raw(src, dst, len & 0xFFFF, payload, (int) b.capacity());
        byte[] expected = raw.fits() ? raw.delivered(seg) : new byte[0];
        b.length((int) Math.min(Integer.toUnsignedLong(usedLen), b.capacity()));
        rawTx.submit(b);
        return new Raw(raw.src(), raw.dst(), raw.len(), expected, raw.capacity());
    }

    /**
     * Takes everything the host sent, checks that each is a well-formed rpmsg message inside the carveout,
     * and gives the buffer back with {@code used.len = usedLen} (cut to the buffer).
     *
     * @return how many the host had sent
     */
    int drainHostTx(int usedLen) {
        int[] n = {0};
        rawRx.receive(b -> {
            n[0]++;
            checkInsideCarveout("a host TX buffer", b.segment());
            if (b.capacity() < RpmsgHeaderLayout.SIZE
                    || RpmsgHeaderLayout.SIZE + RpmsgHeaderLayout.len(b.segment()) > b.capacity()) {
                violations.add("the host sent a malformed message: " + b);
            }
            b.length((int) Math.min(Integer.toUnsignedLong(usedLen), b.capacity()));
            rawRx.submit(b);
        }, num);
        return n[0];
    }

    /** Serves the host until it has nothing left, draining its TX around each pass. */
    void settle() {
        for (int i = 0; i < 8 * num; i++) {
            drainHostTx(0);
            int handled = host.process();
            if (handled == 0 && drainHostTx(0) == 0) {
                return;
            }
        }
    }

    /** Host RX buffers the raw remote can take right now (it gives them back, untouched). */
    int hostRxBuffersPosted() {
        List<VringBuffer> taken = new ArrayList<>();
        for (VringBuffer b = rawTx.acquire(); b != null; b = rawTx.acquire()) {
            taken.add(b);
        }
        taken.forEach(rawTx::release);
        return taken.size();
    }

    /** Drops so far, by reason (from the drop listener). */
    Map<RpmsgException.Reason, Long> dropsByReason() {
        Map<RpmsgException.Reason, Long> out = new EnumMap<>(RpmsgException.Reason.class);
        for (RpmsgException e : drops) {
            out.merge(e.reason(), 1L, Long::sum);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            host.close();
        } finally {
            arena.close();
        }
    }
}
