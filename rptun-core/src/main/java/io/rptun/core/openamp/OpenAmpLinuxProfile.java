package io.rptun.core.openamp;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rpmsg.RpmsgRunner;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.RawBytes;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * OpenAMP's Linux userspace reference machine (openamp-system-reference, {@code examples/legacy_apps},
 * machine {@code linux/generic}; docs/protocols.md section 5): the constants and the set-up a Java peer needs
 * to replace either the C echo remote or the C ping host of that demo.
 *
 * <p>The two C processes share a POSIX shm file ({@value #SHM_PATH}, {@value #SHM_SIZE} bytes, mode 0600,
 * mapped shared) in which every address (vring da, {@code desc.addr}) is a <em>file offset</em>: the
 * address environment is the identity and the mapping's byte 0 is address 0. The remote (virtio device)
 * creates the file and copies an 88-byte resource table to offset 0; the host (virtio driver) parses it,
 * uses the static vrings at 0x4000 and 0x8000, posts its 256 RX buffers of 512 bytes from
 * {@link #RX_BUFFERS_OFFSET} and carves TX buffers lazily from {@link #TX_BUFFERS_OFFSET}. Kicks travel
 * over a UNIX-domain stream socket at {@value #SOCKET_PATH} (one byte 0x01 each, no notify id; the
 * receiver drains the socket and scans every vring); that transport is not part of this class: pass a
 * {@link PeerNotifier} that writes the byte.
 *
 * <pre>{@code
 * // Java host against the C echo remote (which already created the file and wrote the table):
 * RpmsgDevice host = OpenAmpLinuxProfile.host(shm, socketNotifier, RpmsgOptions.defaults().withName("host")
 *         .withBindHook((dev, name, addr) -> dev.createEndpoint(name, RpmsgAddresses.ANY, addr, listener)));
 * }</pre>
 *
 * <p>Only F_NS is offered (dfeatures 1), so none of NuttX's extensions (F_ACK, F_BUFSZ, F_CPUNAME) is
 * negotiated whatever the options ask for: the buffers are 512 bytes both ways and no CREATE_ACK is sent.
 */
public final class OpenAmpLinuxProfile {
    /** The POSIX shm name both C processes open ({@code shm_open("openamp.shm", ...)}). */
    public static final String SHM_NAME = "openamp.shm";
    /** Where Linux puts {@link #SHM_NAME}. */
    public static final String SHM_PATH = "/dev/shm/openamp.shm";
    /** The shm file's size; every address in it is an offset below this. */
    public static final long SHM_SIZE = 0x80000;
    /** The UNIX-domain stream socket the kicks travel over; the remote listens, the host connects. */
    public static final String SOCKET_PATH = "/tmp/openamp.event.0";
    /** The demo's rpmsg service: the echo remote announces it, the ping host binds to it. */
    public static final String ENDPOINT_NAME = "rpmsg-openamp-demo-channel";
    /** The host's RX buffers: 256 x 512 bytes from here, posted to vring 0 in order at start-up. */
    public static final long RX_BUFFERS_OFFSET = 0x10000;
    /** The host's TX buffers: carved lazily from here, one more whenever none has come back. */
    public static final long TX_BUFFERS_OFFSET = 0x30000;
    /** Buffer size both ways (no F_BUFSZ): 16 bytes of header and at most 496 of payload. */
    public static final int BUFFER_SIZE = 512;
    /** A payload whose first u32 (little-endian) is this makes the echo remote stop. */
    public static final int SHUTDOWN_MAGIC = 0xEF56A55A;

    /** The vdev's offered features: F_NS only. */
    private static final int DFEATURES = RpmsgAddresses.F_NS;
    private static final long VRING0_DA = 0x4000;
    private static final long VRING1_DA = 0x8000;
    private static final long VRING_ALIGN = 0x1000;
    private static final int VRING_NUM = 256;

    private OpenAmpLinuxProfile() {
    }

    /** The demo's table as a model: one rpmsg vdev, features F_NS, static vrings 0x4000 and 0x8000. */
    private static ResourceTable model() {
        return ResourceTable.of(new VdevResource(RpmsgAddresses.VIRTIO_ID_RPMSG, 0, DFEATURES, 0, 0, 0, 0,
                List.of(new VringResource(VRING0_DA, VRING_ALIGN, VRING_NUM, 1, 0),
                        new VringResource(VRING1_DA, VRING_ALIGN, VRING_NUM, 2, 0)),
                RawBytes.empty()));
    }

    /**
     * The 88 bytes the C remote copies to offset 0 of the shm ({@code rsc_table.c}): header (ver 1, one
     * entry at 0x14), one vdev (id 7, notify id 0, dfeatures 1, gfeatures 0, no config space, status 0)
     * with vring[0] {da 0x4000, align 0x1000, num 256, notify id 1} and vring[1] {da 0x8000, align 0x1000,
     * num 256, notify id 2}. A fresh array each call.
     */
    public static byte[] resourceTable() {
        return ResourceTableWriter.toBytes(model());
    }

    /** Offset of the vdev's {@code gfeatures} in the demo's table: the host writes it. */
    private static final int GFEATURES_OFFSET = 0x24;
    /** Offset of the vdev's status byte in the demo's table: both sides write it. */
    private static final int STATUS_OFFSET = 0x2C;

    /**
     * True if {@code head} (at least the table's 88 bytes from file offset 0) is the demo's table, as
     * {@link #writeTable} writes it, with any negotiated features and any status: what a demo file left by
     * a remote or a host that ran looks like.
     */
    public static boolean isDemoTable(byte[] head) {
        byte[] table = resourceTable();
        if (head.length < table.length) {
            return false;
        }
        for (int i = 0; i < table.length; i++) {
            boolean live = (i >= GFEATURES_OFFSET && i < GFEATURES_OFFSET + 4) || i == STATUS_OFFSET;
            if (!live && head[i] != table[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The memory plan options of the demo: a {@link #SHM_SIZE} region at address 0 with identity
     * addresses, and, since the table has no carveout, the vdev's heap from {@link #RX_BUFFERS_OFFSET} to
     * the end of the file: the C host's shared buffer pool.
     */
    public static PlanOptions planOptions() {
        return PlanOptions.of(SHM_SIZE).withHeapOffset(RX_BUFFERS_OFFSET);
    }

    /**
     * The remote's job before it listens on {@link #SOCKET_PATH}: copies {@link #resourceTable()} to offset
     * 0 of {@code shm} (the C remote does the same {@code memcpy} right after creating the file). Only the
     * table's 88 bytes change. Do it before the host attaches: it resets status and gfeatures.
     *
     * @throws IllegalArgumentException if {@code shm} is smaller than {@link #SHM_SIZE}
     */
    public static void writeTable(MemorySegment shm) {
        checkSize(shm);
        ResourceTableWriter.write(model(), shm);
    }

    /**
     * A Java host (virtio driver) in place of the C ping host, started: like the C host's
     * {@code rpmsg_init_vdev}, it parses the table the remote wrote at offset 0 ({@link ParseMode#OPENAMP}:
     * reserved words must be 0), plans the memory ({@link #planOptions()}), applies the plan (zeroes both
     * vrings and writes their da back, unchanged here since they are static: this is checked), makes the
     * heap from {@link #RX_BUFFERS_OFFSET} to the end of the file, and does the driver's handshake
     * ({@link RpmsgDevice#host}): gfeatures = 1 &amp; {@code options.features()}, 256 RX buffers of 512
     * bytes posted to vring 0 in order from 0x10000, DRIVER_OK, a kick. TX buffers come lazily from
     * 0x30000 on, as in the C host.
     *
     * @param shm the whole shm file mapped shared, {@link #SHM_SIZE} bytes or more; byte 0 is address 0
     * @param notifier kicks the remote (writes 0x01 to the socket)
     * @throws io.rptun.core.rsc.ResourceTableException if no valid table is at offset 0
     * @throws io.rptun.core.layout.PlanException if the table's vrings do not fit the file
     * @throws IllegalStateException if applying the plan moved a static vring
     * @throws RpmsgException BAD_VDEV, HEAP_EXHAUSTED as {@link RpmsgDevice#host}
     */
    public static RpmsgDevice host(MemorySegment shm, PeerNotifier notifier, RpmsgOptions options) {
        checkSize(shm);
        Objects.requireNonNull(notifier, "notifier");
        Objects.requireNonNull(options, "options");
        ParsedResourceTable parsed = ResourceTableParser.parse(shm, ParseMode.OPENAMP);
        MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(), planOptions());
        LiveResourceTable live = parsed.attach(shm);
        int vdev = options.vdev();
        List<VdevResource> vdevs = parsed.table().vdevs();
        if (vdev >= vdevs.size()) {
            throw new RpmsgException(RpmsgException.Reason.BAD_VDEV, options.name() + ": the table has "
                    + vdevs.size() + " vdevs, no vdev " + vdev);
        }
        int vrings = vdevs.get(vdev).vrings().size();
        long[] before = new long[vrings];
        for (int i = 0; i < vrings; i++) {
            before[i] = live.vringDa(vdev, i);
        }
        plan.apply(shm, live);
        for (int i = 0; i < vrings; i++) {
            if (live.vringDa(vdev, i) != before[i]) {
                throw new IllegalStateException("applying the plan moved static vring " + i + " of vdev " + vdev
                        + " from da 0x" + Long.toHexString(before[i]) + " to 0x"
                        + Long.toHexString(live.vringDa(vdev, i)));
            }
        }
        CarveoutHeap heap = plan.carveoutHeap(vdev);
        // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
        return RpmsgDevice.host(region(shm), live, heap, notifier, options);
    }

    /**
     * A Java remote (virtio device) in place of the C echo remote, over a table already at offset 0 (call
     * {@link #writeTable} first, as the C remote does before it listens). It waits for the host's
     * DRIVER_OK ({@link RpmsgDevice#remote}: serve it with an {@link RpmsgRunner} or
     * {@link RpmsgDevice#awaitReady}); endpoints created meanwhile (the C remote creates
     * {@link #ENDPOINT_NAME}) are announced with an NS create once the host is up. It takes buffers only
     * from the host's descriptors, checked to lie after the vrings and inside the file.
     *
     * @param shm the whole shm file mapped shared, {@link #SHM_SIZE} bytes or more; byte 0 is address 0
     * @param notifier kicks the host (writes 0x01 to the socket)
     * @throws io.rptun.core.rsc.ResourceTableException if no valid table is at offset 0
     * @throws RpmsgException BAD_VDEV if it has no rpmsg vdev with two vrings
     */
    public static RpmsgDevice remote(MemorySegment shm, PeerNotifier notifier, RpmsgOptions options) {
        checkSize(shm);
        ParsedResourceTable parsed = ResourceTableParser.parse(shm, ParseMode.OPENAMP);
        return RpmsgDevice.remote(region(shm), parsed.attach(shm), notifier, options);
    }

    /** The whole file, byte 0 at address 0, identity addresses: every da is a file offset. */
    private static SharedRegion region(MemorySegment shm) {
        return SharedRegion.of(shm, 0, AddressEnvironment.identity());
    }

    private static void checkSize(MemorySegment shm) {
        Objects.requireNonNull(shm, "shm");
        if (shm.byteSize() < SHM_SIZE) {
            throw new IllegalArgumentException("shm size=0x" + Long.toHexString(shm.byteSize()) + " < 0x"
                    + Long.toHexString(SHM_SIZE));
        }
    }
}
