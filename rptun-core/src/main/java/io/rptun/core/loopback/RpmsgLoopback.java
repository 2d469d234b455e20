package io.rptun.core.loopback;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.ParkingDoorbell;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rpmsg.RpmsgRunner;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.virtio.VringLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * A host and a remote in one JVM over one shared segment, each served by its own {@link RpmsgRunner}
 * and ringing the other through a {@link ParkingDoorbell}: the in-process loopback for tests and demos.
 *
 * <pre>{@code
 * try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(64, 512))) {
 *     loop.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.toByteArray()));
 *     RpmsgEndpoint client = loop.host().createEndpoint("echo", (ep, msg) -> System.out.println(msg.asString()));
 *     client.awaitBound(Duration.ofSeconds(5));
 *     client.send("hello".getBytes(StandardCharsets.UTF_8));
 * }
 * }</pre>
 */
public final class RpmsgLoopback implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment memory;
    private final MemoryPlan plan;
    private final LiveResourceTable table;
    private final CarveoutHeap heap;
    private final RpmsgDevice host;
    private final RpmsgDevice remote;
    private final RpmsgRunner hostRunner;
    private final RpmsgRunner remoteRunner;

    private RpmsgLoopback(RptunRsc rsc, RpmsgOptions hostOptions, RpmsgOptions remoteOptions, Duration idleWait) {
        long size = regionSize(rsc);
        RptunRsc sized = rsc.withCarveout(RpmsgAddresses.ANY & 0xFFFF_FFFFL, RpmsgAddresses.ANY & 0xFFFF_FFFFL,
                size - WireLayouts.alignUp(rsc.generation().size(), 0x1000));
        byte[] bytes = sized.toBytes();
        this.arena = Arena.ofShared();
        boolean done = false;
        try {
            this.memory = arena.allocate(size, 4096);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
            this.plan = SharedMemoryPlanner.plan(parsed.table(),
                    PlanOptions.of(size).withTableReserve(rsc.generation().size()));
            this.table = parsed.attach(memory);
            plan.apply(memory, table);
            this.heap = plan.carveoutHeap(0);
            SharedRegion region = SharedRegion.of(memory, 0, AddressEnvironment.identity());
            ParkingDoorbell hostBell = new ParkingDoorbell();
            ParkingDoorbell remoteBell = new ParkingDoorbell();
            // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
            this.host = RpmsgDevice.host(region, table, heap, remoteBell,
                    hostOptions);
            this.remote = RpmsgDevice.remote(region, table, hostBell,
                    remoteOptions);
            this.hostRunner = RpmsgRunner.start(host, hostBell, hostOptions.name() + "-rpmsg", idleWait);
            this.remoteRunner = RpmsgRunner.start(remote, remoteBell, remoteOptions.name() + "-rpmsg", idleWait);
            if (!remote.awaitReady(Duration.ofSeconds(10))) {
                throw new IllegalStateException("remote did not see DRIVER_OK");
            }
            done = true;
        } finally {
            if (!done) {
                arena.close();
            }
        }
    }

    /** A loopback over {@code rsc} (its carveout is replaced by one that fits), devices named "host" and "remote". */
    public static RpmsgLoopback start(RptunRsc rsc) {
        return start(rsc, RpmsgOptions.defaults().withName("host"), RpmsgOptions.defaults().withName("remote"));
    }

    /** A loopback over {@code rsc} with the given options for each side. */
    public static RpmsgLoopback start(RptunRsc rsc, RpmsgOptions hostOptions, RpmsgOptions remoteOptions) {
        return new RpmsgLoopback(rsc, hostOptions, remoteOptions, RpmsgRunner.DEFAULT_IDLE_WAIT);
    }

    /**
     * The same with serving threads that sleep up to {@code idleWait} unrung ({@link RpmsgRunner#DEFAULT_IDLE_WAIT}
     * otherwise): a test that makes it very long turns a lost wake-up into a hang instead of a delay.
     */
    public static RpmsgLoopback start(RptunRsc rsc, RpmsgOptions hostOptions, RpmsgOptions remoteOptions, Duration idleWait) {
        return new RpmsgLoopback(rsc, hostOptions, remoteOptions, idleWait);
    }

    /**
     * NuttX's standard table (current generation) with {@code num} descriptors per vring and buffers of
     * {@code bufferSize} bytes both ways, every supported feature.
     */
    public static RptunRsc table(int num, int bufferSize) {
        return RptunRsc.defaults(Generation.CURRENT).withVrings(num, 0x1000).withBufferSizes(bufferSize, bufferSize)
                .withFeatures(RpmsgAddresses.SUPPORTED);
    }

    /**
     * The size of the segment a loopback over {@code rsc} allocates: room for the table, both vrings and
     * every buffer both ways, with slack for the heap's rounding. A test that lays a segment out by hand
     * the way the loopback does (to play a raw peer) takes this size.
     */
    public static long regionSize(RptunRsc rsc) {
        long vring = WireLayouts.alignUp(VringLayout.byteSize(rsc.vringNum(), rsc.vringAlign()), rsc.vringAlign());
        long h2r = Math.max(RpmsgAddresses.DEFAULT_BUFFER_SIZE, rsc.config().h2rBufSize());
        long r2h = Math.max(RpmsgAddresses.DEFAULT_BUFFER_SIZE, rsc.config().r2hBufSize());
        long buffers = (long) rsc.vringNum() * (Long.highestOneBit(h2r - 1) * 2 + Long.highestOneBit(r2h - 1) * 2);
        long size = WireLayouts.alignUp(rsc.generation().size(), 0x1000) + 2 * vring + buffers * 2 + 0x10000;
        return WireLayouts.alignUp(size, 0x1000);
    }

    public RpmsgDevice host() {
        return host;
    }

    public RpmsgDevice remote() {
        return remote;
    }

    /** The host's carveout heap. */
    public CarveoutHeap heap() {
        return heap;
    }

    /** The shared segment (for tests that play a hostile peer). */
    public MemorySegment memory() {
        return memory;
    }

    public MemoryPlan plan() {
        return plan;
    }

    public LiveResourceTable table() {
        return table;
    }

    /** Stops both serving threads, closes both devices and frees the memory. */
    @Override
    public void close() {
        try {
            remote.close();
            host.close();
        } finally {
            remoteRunner.close();
            hostRunner.close();
            arena.close();
        }
    }
}
