package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;

import io.rptun.core.rsc.FwRscCarveoutLayout;
import io.rptun.core.rsc.FwRscConfigLayout;
import io.rptun.core.rsc.FwRscHdrLayout;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A Java model of NuttX's {@code sim:rpserver}: the RPTUN master and virtio driver of every vdev, over the
 * file at a path the caller gives (a temporary one in tests).
 *
 * <p>Boot ({@code sim_rptun_get_resource}, {@code remoteproc_set_rsc_table}, {@code sim_rptun_start}):
 * the table written whole ({@link NuttxTable#writeServerTable}), {@code base}; {@code boots = NEED_RESET}
 * if the slave says OK from an earlier run; {@code bootm = BOOT}; notify ids assigned; wait (1 ms polls)
 * for {@code boots & BOOT}; {@code bootm = OK}. Then each vdev in table order ({@code rptun_create_device}):
 * its vrings placed at the start of its carveout ({@code rptun_update_vring_da}: each takes
 * {@code ALIGN_UP(vring_size(8, 8), 8)} = 0xE0 bytes, da written back: rpmsg 0x201CC and 0x202AC), the
 * rest of the carveout a heap. The two entropy vdevs get NuttX's virtio-rng driver (status DRIVER,
 * gfeatures 0, FEATURES_OK, DRIVER_OK, each write whole and each a notify; buffers only on
 * {@link NuttxRngDriver#read}). The rpmsg vdev: DRIVER, gfeatures = 0xF, FEATURES_OK, a pool of 16 ×
 * 1,536 bytes from the heap, vrings cleared, 8 RX buffers posted, DRIVER_OK; then {@code rpmsg-ping}.
 *
 * <p>{@link #stop()} is {@code sim_rptun_stop}: {@code cmd_master = STOP} if the slave is OK, then the
 * file unmapped and removed. {@link #close()} is a SIGKILL: nothing written.
 */
public final class NuttxServerModel extends NuttxSide {
    private final NuttxRngDriver[] entropy = new NuttxRngDriver[2];

    public NuttxServerModel(Path path, NuttxModelOptions options) {
        super(path, options);
    }

    /** With NuttX's defaults (10 ms ticks). */
    public static NuttxServerModel at(Path path) {
        return new NuttxServerModel(path, NuttxModelOptions.defaults());
    }

    @Override
    protected boolean master() {
        return true;
    }

    /** Entropy driver {@code index} (0: {@code /dev/random}, 1: {@code /dev/random1}) once created, else null. */
    public NuttxRngDriver entropy(int index) {
        return entropy[index];
    }

    @Override
    protected NuttxSimFile boot() {
        NuttxSimFile f = NuttxSimFile.open(path);
        mapped(f);
        NuttxTable.writeServerTable(f.memory());
        f.base(options.base());
        if ((f.boots() & NuttxSimFile.STATUS_OK) != 0) {
            f.boots(NuttxSimFile.STATUS_NEED_RESET);
        }
        f.bootm(NuttxSimFile.STATUS_BOOT);
        NuttxTable.assignNotifyIds(f.memory());
        waitFor("the slave's BOOT (boots & 1)", f::boots, b -> (b & NuttxSimFile.STATUS_BOOT) != 0);
        f.bootm(NuttxSimFile.STATUS_OK);
        return f;
    }

    @Override
    protected boolean createDevices() {
        MemorySegment m = requireFile().memory();
        for (int i = 0; ; i++) {
            long vdev = NuttxTable.findRsc(m, FwRscHdrLayout.RSC_VDEV, i);
            if (vdev < 0) {
                return true;
            }
            long carveout = NuttxTable.findRsc(m, FwRscHdrLayout.RSC_CARVEOUT, i);
            long shmbase = Integer.toUnsignedLong(m.get(LE_U32, carveout + FwRscCarveoutLayout.DA_OFFSET));
            long shmlen = Integer.toUnsignedLong(m.get(LE_U32, carveout + FwRscCarveoutLayout.LEN_OFFSET));
            int vrings = Byte.toUnsignedInt(m.get(LE_U8, vdev + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET));
            NuttxTable.VringPlace[] places = new NuttxTable.VringPlace[vrings];
            for (int v = 0; v < vrings; v++) {
                long ring = FwRscVdevLayout.vringOffset(vdev, v);
                int num = m.get(LE_U32, ring + FwRscVdevVringLayout.NUM_OFFSET);
                int align = m.get(LE_U32, ring + FwRscVdevVringLayout.ALIGN_OFFSET);
                places[v] = NuttxTable.place(shmbase, num, align);
                FwRscVdevVringLayout.daRelease(m, ring, (int) shmbase);
                shmbase += places[v].allotted();
                shmlen -= places[v].allotted();
            }
            NuttxHeap heap = new NuttxHeap(shmbase, shmlen);
            int id = m.get(LE_U32, vdev + FwRscVdevLayout.ID_OFFSET);
            if (id == NuttxTable.VIRTIO_ID_ENTROPY) {
                if (options.entropy()) {
                    createEntropy(m, vdev, places[0], heap, i);
                }
            } else if (id == NuttxTable.VIRTIO_ID_RPMSG) {
                createRpmsg(m, vdev, places, heap);
            } else {
                throw new NuttxModelException("virtio device id = " + id + " not supported");
            }
        }
    }

    private void status(MemorySegment m, long vdev, int status) {
        FwRscVdevLayout.statusRelease(m, vdev, status);
        notifyPeer();
    }

    private void gfeatures(MemorySegment m, long vdev, int features) {
        FwRscVdevLayout.gfeaturesRelease(m, vdev, features);
        notifyPeer();
    }

    /** {@code virtio_rng_probe}. */
    private void createEntropy(MemorySegment m, long vdev, NuttxTable.VringPlace place, NuttxHeap heap, int index) {
        status(m, vdev, FwRscVdevLayout.STATUS_DRIVER);
        gfeatures(m, vdev, 0);
        status(m, vdev, FwRscVdevLayout.STATUS_FEATURES_OK);
        NuttxVirtqueue vq = NuttxVirtqueue.driver("rng" + index, m, place, options.base());
        status(m, vdev, FwRscVdevLayout.STATUS_DRIVER_OK);
        int slot = index == 0 ? 0 : 1;
        NuttxRngDriver driver = new NuttxRngDriver("rng" + slot, m, vq, heap, this::notifyPeer);
        entropy[slot] = driver;
        vdevs.add(driver::process);
    }

    /** {@code rpmsg_virtio_probe_cpuname} + {@code rpmsg_virtio_start} as driver. */
    private void createRpmsg(MemorySegment m, long vdev, NuttxTable.VringPlace[] places, NuttxHeap heap) {
        if (places.length < 2) {
            throw new NuttxModelException("rpmsg vdev with " + places.length + " vrings");
        }
        status(m, vdev, FwRscVdevLayout.STATUS_DRIVER);
        int dfeatures = m.get(LE_U32, vdev + FwRscVdevLayout.DFEATURES_OFFSET);
        gfeatures(m, vdev, dfeatures & NuttxTable.RPMSG_WANTED_FEATURES);
        status(m, vdev, FwRscVdevLayout.STATUS_FEATURES_OK);
        int features = dfeatures & FwRscVdevLayout.gfeaturesAcquire(m, vdev);
        long config = FwRscVdevLayout.configOffset(vdev, places.length);
        int h2r = 512;
        int r2h = 512;
        if ((features & NuttxTable.F_BUFSZ) != 0) {
            h2r = m.get(LE_U32, config + FwRscConfigLayout.H2R_BUF_SIZE_OFFSET);
            r2h = m.get(LE_U32, config + FwRscConfigLayout.R2H_BUF_SIZE_OFFSET);
        }
        String local = NuttxTable.name(m, config + FwRscConfigLayout.HOST_CPUNAME_OFFSET, FwRscConfigLayout.CPUNAME_SIZE);
        String remote = NuttxTable.name(m, config + FwRscConfigLayout.REMOTE_CPUNAME_OFFSET,
                FwRscConfigLayout.CPUNAME_SIZE);
        long pool = heap.alloc((long) h2r * places[1].num() + (long) r2h * places[0].num(), 8);
        if (pool < 0) {
            throw new NuttxModelException("rpmsg0_shm has no room for the buffer pool (RPMSG_ERR_NO_MEM)");
        }
        NuttxVirtqueue vring0 = NuttxVirtqueue.driver("rpmsg.vring0", m, places[0], options.base());
        NuttxVirtqueue vring1 = NuttxVirtqueue.driver("rpmsg.vring1", m, places[1], options.base());
        NuttxRpmsg r = NuttxRpmsg.driver(m, vring0, vring1, pool, this::notifyPeer, features, h2r, r2h, local, remote);
        status(m, vdev, FwRscVdevLayout.STATUS_DRIVER_OK);
        rpmsg = r;
        // rpmsg_device_created (the services' endpoints) runs before the RX thread first looks.
        NuttxSyslog server = NuttxSyslog.server(r);
        r.addNsBinder(server::bind);
        syslog = server;
        tty = NuttxTty.device(r);
        ping = new NuttxPing(r);
        vdevs.add(() -> {
            if (r.hasWork()) {
                r.processRx();
            }
        });
        r.processRx();
    }

    /**
     * {@code rptun stop} in the server's shell ({@code rptun_dev_stop}): the callback unregistered, every
     * vdev removed in table order (each entropy driver reset: status 0, a notify; the rpmsg services
     * destroyed, each endpoint announcing an NS destroy, then the rpmsg vdev reset), then
     * {@code sim_rptun_stop}: {@code cmd_master = STOP} if the slave is OK (no notify: the slave reads the
     * word every tick), the model's threads ended, and, if the slave was OK, the file unmapped and removed.
     */
    public void stop() {
        NuttxSimFile f = file();
        if (f == null || state() != State.RUNNING) {
            close();
            return;
        }
        unregisterCallback();
        try {
            removeDevices(f.memory());
        } catch (NuttxModelException e) {
            // A slave that no longer returns buffers leaves an NS destroy unsent; the stop goes on.
        }
        boolean slaveOk = (f.boots() & NuttxSimFile.STATUS_OK) != 0;
        if (slaveOk) {
            f.cmdMaster(NuttxSimFile.cmd(NuttxSimFile.CMD_STOP, 0));
        }
        halt();
        joinThreads();
        if (slaveOk) {
            f.closeAndUnlink();
        }
        close();
    }

    /** {@code rptun_remove_devices}: each vdev in table order. */
    private void removeDevices(MemorySegment m) {
        for (int i = 0; i < NuttxTable.VDEVS.length; i++) {
            long vdev = NuttxTable.VDEVS[i];
            if (i < 2 && entropy[i] != null) {
                status(m, vdev, 0);
            } else if (i == 2 && rpmsg != null) {
                // rpmsg_device_destroy: rpmsg-ping first, then the services' device_destroy (the tty), then
                // every endpoint left; each announces its end before the vdev is reset.
                rpmsg.destroyEndpoint(ping.endpoint());
                if (tty != null) {
                    rpmsg.destroyEndpoint(tty.endpoint());
                }
                rpmsg.endpoints().forEach(rpmsg::destroyEndpoint);
                status(m, vdev, 0);
            }
        }
    }
}
