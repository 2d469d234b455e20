package io.rptun.sim;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableLayout;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringLayout;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NuttX's simulator transport ({@code arch/sim/src/sim/sim_rptun.c}) as an {@link RptunDriver}, so a Java
 * side can stand in for either NuttX process with no change to NuttX: {@link #server} is the master
 * ({@code sim:rpserver}), {@link #proxy} the slave ({@code sim:rpproxy}). The file is
 * {@link NuttxSimLayout}.
 *
 * <ul>
 * <li><b>Master.</b> Creates the file exclusively (a stale NuttX file nobody maps is replaced; anything else
 * is refused untouched), writes NuttX's table, places every vdev's vrings at the start of its carveout as
 * NuttX's {@code rptun_update_vring_da} does (at da 0x201CC and 0x202AC for rpmsg: not 8-aligned, so the
 * used rings sit where NuttX's {@code vring_init} computes them from the absolute address), assigns notify
 * ids, makes the rest of the rpmsg carveout the buffer heap, writes {@code base} and {@code bootm} BOOT;
 * {@link #start()} waits for the slave's BOOT and sets OK. The entropy devices are left unconfigured (status
 * 0), which NuttX's proxy retries harmlessly every second.</li>
 * <li><b>Slave.</b> Waits for the master's file and table, then does NuttX's slave handshake (BOOT, wait
 * for OK, OK), reads {@code base}, attaches to the rpmsg vdev as virtio device and serves both entropy
 * devices as {@code vhost-rng} once their driver set DRIVER_OK.</li>
 * <li><b>Notifications.</b> {@link #notify} increments this side's counter; the serving thread polls the
 * peer's counter ({@link CounterDoorbell}), since NuttX wakes nobody.</li>
 * <li><b>Peer lost.</b> The file names no pid: the peer is the other process that maps it (or
 * {@link NuttxSimOptions#peerPid()}), checked every {@code watchPeriod}; a peer that restarts (NEED_RESET)
 * is reported lost too, since NuttX of this version does not survive a restart.</li>
 * </ul>
 */
public final class NuttxSimDriver implements RptunDriver {
    private static final Logger LOG = LoggerFactory.getLogger(NuttxSimDriver.class);
    private static final long ENTROPY_POLL_NANOS = Duration.ofMillis(10).toNanos();

    private final NuttxSimOptions options;
    private final boolean master;
    private final SimFile file;
    private final MemorySegment shm;
    private final CounterDoorbell doorbell;
    private volatile @Nullable RptunCallback callback;
    private final WatchThread watchThread = new WatchThread();
    private volatile long peerPid;
    private volatile @Nullable SharedRegion region;
    private volatile @Nullable LiveResourceTable live;
    private final @Nullable VhostRng[] entropy = new VhostRng[2];

    private NuttxSimDriver(NuttxSimOptions options, boolean master, SimFile file) {
        this.options = options;
        this.master = master;
        this.file = file;
        this.shm = file.segment();
        long peerCounter = master ? NuttxSimLayout.SEQS_OFFSET : NuttxSimLayout.SEQM_OFFSET;
        long peerCommand = NuttxSimLayout.TABLE_OFFSET
                + (master ? ResourceTableLayout.RESERVED1_OFFSET : ResourceTableLayout.RESERVED0_OFFSET);
        this.doorbell = new CounterDoorbell(shm, peerCounter, peerCommand, options.idle(), options.maxPark());
        this.peerPid = options.peerPid();
    }

    /**
     * Java as NuttX's {@code server} (master): creates {@code options.path()}.
     *
     * @throws SimException FOREIGN_FILE, IN_USE (a NuttX process has the file: start the server first),
     *     NOT_A_REGULAR_FILE, READ_ONLY, ... for what is at the path; FILE_MISSING, IO
     */
    public static NuttxSimDriver server(NuttxSimOptions options) {
        Objects.requireNonNull(options, "options");
        return new NuttxSimDriver(options, true, NuttxSimFiles.createForServer(options));
    }

    /**
     * Java as NuttX's {@code proxy} (slave): waits for a server's file and table, writing nothing to it
     * before they are NuttX's.
     *
     * @throws SimException TIMEOUT (no server within the attach timeout), WRONG_SIZE, FOREIGN_FILE,
     *     NOT_A_REGULAR_FILE, READ_ONLY
     */
    public static NuttxSimDriver proxy(NuttxSimOptions options) {
        Objects.requireNonNull(options, "options");
        return new NuttxSimDriver(options, false, NuttxSimFiles.openForProxy(options));
    }

    /** The shared file. */
    public SimFile file() {
        return file;
    }

    @Override
    public String localCpuName() {
        return master ? options.hostName() : options.remoteName();
    }

    @Override
    public String remoteCpuName() {
        String name = master ? options.remoteName() : options.hostName();
        long pid = peerPid;
        return pid == 0 ? name : name + " (pid " + pid + ")";
    }

    @Override
    public boolean isMaster() {
        return master;
    }

    @Override
    public RptunResource resource() {
        return this::attach;
    }

    @Override
    public @Nullable Doorbell doorbell() {
        return doorbell;
    }

    @Override
    public void registerCallback(@Nullable RptunCallback callback) {
        this.callback = callback;
    }

    /** Increments this side's counter: the peer notices at its next look. */
    @Override
    public void notify(int notifyId) {
        NuttxSimLayout.increment(shm, master ? NuttxSimLayout.SEQM_OFFSET : NuttxSimLayout.SEQS_OFFSET);
    }

    private RptunResource.Attached attach(boolean asMaster, PeerNotifier peer, RpmsgOptions rpmsg) {
        PeerNotifier notifier = peer;
        MemorySegment table = NuttxSimLayout.table(shm);
        if (!asMaster) {
            long base = NuttxSimLayout.base(shm);
            if (base < 0 || base > Long.MAX_VALUE - NuttxSimLayout.FILE_SIZE) {
                throw new SimException(SimException.Reason.BAD_HEADER, file.path() + ": the server's base 0x"
                        + Long.toHexString(base) + " leaves no room for a " + NuttxSimLayout.FILE_SIZE
                        + "-byte window of physical addresses");
            }
            SharedRegion r = region(base);
            ParsedResourceTable parsed = ResourceTableParser.parse(table, ParseMode.NUTTX);
            LiveResourceTable t = parsed.attach(table);
            region = r;
            live = t;
            RpmsgOptions options = rpmsg.withVdev(vdevOf(parsed, RpmsgAddresses.VIRTIO_ID_RPMSG).getFirst());
            return new RptunResource.Attached(RpmsgDevice.remote(r, t, notifier, options), t, null);
        }
        NuttxSimLayout.writeTable(shm, this.options.hostName(), this.options.remoteName());
        ParsedResourceTable parsed = ResourceTableParser.parse(table, ParseMode.NUTTX);
        LiveResourceTable t = parsed.attach(table);
        int rpmsgVdev = vdevOf(parsed, RpmsgAddresses.VIRTIO_ID_RPMSG).getFirst();
        RpmsgOptions options = rpmsg.withVdev(rpmsgVdev);
        long heapStart = placeVrings(parsed, t, rpmsgVdev);
        RptunResource.assignNotifyIds(parsed.table(), t);
        long base = shm.address();
        NuttxSimLayout.setBase(shm, base);
        SharedRegion r = region(base);
        region = r;
        live = t;
        long carveoutEnd = t.carveoutDa(rpmsgVdev) + NuttxSimLayout.SHM_SIZE;
        CarveoutHeap heap = CarveoutHeap.of(heapStart, carveoutEnd - heapStart);
        RpmsgDevice device = RpmsgDevice.host(r, t, heap, notifier, options);
        // The master tells a slave that ran before it to reset, then says it booted (sim_rptun_get_resource).
        if ((NuttxSimLayout.getVolatile(shm, NuttxSimLayout.BOOTS_OFFSET) & NuttxSimLayout.STATUS_OK) != 0) {
            NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTS_OFFSET, NuttxSimLayout.STATUS_NEED_RESET);
        }
        NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_BOOT);
        return new RptunResource.Attached(device, t, null);
    }

    /**
     * The indices of the table's vdevs of virtio id {@code id}, in table order: the table may carry any
     * number of vdevs of any type, and each is picked by its id.
     *
     * @throws SimException FOREIGN_FILE if there is none
     */
    private List<Integer> vdevOf(ParsedResourceTable parsed, int id) {
        List<VdevResource> vdevs = parsed.table().vdevs();
        List<Integer> found = new java.util.ArrayList<>();
        for (int v = 0; v < vdevs.size(); v++) {
            if (vdevs.get(v).id() == id) {
                found.add(v);
            }
        }
        if (found.isEmpty() && id == RpmsgAddresses.VIRTIO_ID_RPMSG) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, file.path() + ": the table has no rpmsg vdev");
        }
        return found;
    }

    /**
     * NuttX's {@code rptun_update_vring_da}: every vdev's vrings with da 0 go at the start of its carveout,
     * one after the other, each taking {@code ALIGN_UP(vring_size(num, align), align)} bytes.
     *
     * @return where the rpmsg vdev's heap starts (file offset)
     */
    private static long placeVrings(ParsedResourceTable parsed, LiveResourceTable t, int rpmsgVdev) {
        List<VdevResource> vdevs = parsed.table().vdevs();
        long heapStart = 0;
        for (int v = 0; v < vdevs.size(); v++) {
            long cursor = t.carveoutDa(v);
            List<VringResource> vrings = vdevs.get(v).vrings();
            for (int i = 0; i < vrings.size(); i++) {
                VringResource r = vrings.get(i);
                t.setVringDa(v, i, cursor);
                cursor += WireLayouts.alignUp(VringLayout.byteSize(r.num(), r.align()), r.align());
            }
            if (v == rpmsgVdev) {
                heapStart = cursor;
            }
        }
        return heapStart;
    }

    /**
     * The whole file as one window: a da (the table's addresses) is a file offset, a pa is {@code base} +
     * offset, and descriptors carry pa's, as NuttX writes them.
     */
    private SharedRegion region(long base) {
        return SharedRegion.of(shm, base, AddressEnvironment.of(new AddressWindow(base, 0, NuttxSimLayout.FILE_SIZE)))
                .withDescriptorAddress(SharedRegion.DescriptorAddress.PA);
    }

    /**
     * Master: waits for the slave's BOOT and sets OK ({@code sim_rptun_start}). Slave: NuttX's slave
     * handshake. Both then start watching the peer.
     *
     * @throws SimException TIMEOUT when the peer does not boot within the attach timeout; INTERRUPTED
     */
    @Override
    public void start() {
        watchThread.stop();
        if (master) {
            awaitStatus(NuttxSimLayout.BOOTS_OFFSET, NuttxSimLayout.STATUS_BOOT, "a " + options.remoteName()
                    + " to boot (start NuttX's proxy, or 'rptun remote --nuttx-sim')");
            NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_OK);
        } else {
            if ((NuttxSimLayout.getVolatile(shm, NuttxSimLayout.BOOTS_OFFSET) & NuttxSimLayout.STATUS_OK) != 0) {
                NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_NEED_RESET);
            }
            NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTS_OFFSET, NuttxSimLayout.STATUS_BOOT);
            awaitStatus(NuttxSimLayout.BOOTM_OFFSET, NuttxSimLayout.STATUS_OK, "the " + options.hostName()
                    + " to finish booting");
            NuttxSimLayout.setVolatile(shm, NuttxSimLayout.BOOTS_OFFSET, NuttxSimLayout.STATUS_OK);
        }
        watchThread.start(localCpuName() + "-nuttx-sim-watch", this::watch);
    }

    private void awaitStatus(long offset, int bit, String what) {
        long begun = System.nanoTime();
        long deadline = begun + options.attachTimeout().toNanos();
        while ((NuttxSimLayout.getVolatile(shm, offset) & bit) == 0) {
            if (System.nanoTime() - deadline >= 0) {
                throw new SimException(SimException.Reason.TIMEOUT, file.path() + ": waited "
                        + options.attachTimeout() + " for " + what);
            }
            LockSupport.parkNanos(1_000_000);
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, file.path() + ": interrupted after "
                        + Duration.ofNanos(System.nanoTime() - begun).toMillis() + " ms of waiting for " + what);
            }
        }
    }

    @Override
    public void stop() {
        watchThread.stop();
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            doorbell.close();
            file.close();
        }
    }

    // ---------------------------------------------------------------- watching the peer

    /** Serves the entropy devices (slave) every 10 ms and checks the peer every watch period. */
    private void watch() {
        long period = options.watchPeriod().toNanos();
        long nextCheck = System.nanoTime();
        PathState identity = PathState.of(file.path());
        while (watchThread.running()) {
            if (!master) {
                serveEntropy();
            }
            long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                nextCheck = now + period;
                String lost = peerLostWhy(identity);
                if (lost != null) {
                    report(lost);
                    return;
                }
            }
            LockSupport.parkNanos(Math.min(ENTROPY_POLL_NANOS, period));
        }
    }

    private @Nullable String peerLostWhy(PathState identity) {
        long pid = peerPid;
        if (pid == 0) {
            long me = ProcessHandle.current().pid();
            List<Long> mappers = ProcFs.mappers(identity).stream().filter(p -> p != me).toList();
            if (mappers.size() == 1) {
                peerPid = mappers.getFirst();
                LOG.info("{}: the {} is process {}", localCpuName(), master ? options.remoteName()
                        : options.hostName(), peerPid);
            }
        } else if (!ProcFs.alive(pid)) {
            return "its process " + pid + " is gone";
        }
        long peerStatus = master ? NuttxSimLayout.BOOTM_OFFSET : NuttxSimLayout.BOOTS_OFFSET;
        if ((NuttxSimLayout.getVolatile(shm, peerStatus) & NuttxSimLayout.STATUS_NEED_RESET) != 0) {
            return "it restarted (NEED_RESET), which this NuttX version does not survive";
        }
        return null;
    }

    private void serveEntropy() {
        SharedRegion r = region;
        LiveResourceTable t = live;
        if (r == null || t == null) {
            return;
        }
        boolean served = false;
        List<Integer> devices = vdevOf(t.parsed(), NuttxSimLayout.VIRTIO_ID_ENTROPY);
        for (int k = 0; k < Math.min(devices.size(), entropy.length); k++) {
            int v = devices.get(k);
            try {
                VhostRng rng = entropy[k];
                if (rng == null) {
                    if ((t.status(v) & FwRscVdevLayout.STATUS_DRIVER_OK) == 0) {
                        continue;
                    }
                    VringResource ring = t.parsed().table().vdevs().get(v).vrings().getFirst();
                    long start = t.carveoutDa(v);
                    rng = new VhostRng("rng" + v, Vring.at(r, t.vringDa(v, 0), ring.num(), ring.align()), r,
                            r.offsetOfDa(start, NuttxSimLayout.SHM_SIZE), r.offsetOfDa(start, NuttxSimLayout.SHM_SIZE)
                                    + NuttxSimLayout.SHM_SIZE);
                    entropy[k] = rng;
                }
                served |= rng.serve();
            } catch (RuntimeException e) {
                LOG.warn("{}: entropy device {} no longer served: {}", localCpuName(), v, e.getMessage());
                entropy[k] = null;
                t.setStatus(v, 0);
            }
        }
        if (served) {
            notify(PeerNotifier.ALL);
        }
    }

    /** Random bytes given to the master's entropy drivers so far (slave). */
    public long entropyBytesServed() {
        long n = 0;
        for (VhostRng rng : entropy) {
            if (rng != null) {
                n += rng.bytesServed();
            }
        }
        return n;
    }

    private void report(String why) {
        RptunCallback c = callback;
        LOG.info("{}: peer {} lost: {}", localCpuName(), remoteCpuName(), why);
        if (c != null) {
            c.peerLost(why);
        }
    }

    @Override
    public String toString() {
        return "NuttxSimDriver[" + (master ? "server" : "proxy") + " " + file.path() + "]";
    }
}
