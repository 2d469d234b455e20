package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;

import io.rptun.core.rsc.FwRscConfigLayout;
import io.rptun.core.rsc.FwRscHdrLayout;
import io.rptun.core.rsc.FwRscVdevLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A Java model of NuttX's {@code sim:rpproxy}: the RPTUN slave and virtio device of every vdev.
 *
 * <p>Boot: the file opened (created as NuttX would if absent); {@code bootm = NEED_RESET} if the slave
 * was OK before; {@code boots = BOOT}; wait (1 ms polls) for {@code bootm & OK}; {@code boots = OK};
 * {@code base} read. Then each vdev whose status has DRIVER_OK is created (the others are retried every
 * retry period, 1 s in NuttX): its vring da's read from the table and placed with the used ring aligned
 * on the absolute address; every descriptor pa is {@code base + offset}, checked against the file before
 * use. Entropy vdevs are served as {@code vhost-rng}; the rpmsg vdev as device (features = dfeatures ∩
 * gfeatures, buffer sizes and cpu names from {@code fw_rsc_config}), then {@code rpmsg-ping}.
 *
 * <p>A NuttX slave never writes STOP; {@link #close()} is its SIGKILL.
 */
public final class NuttxProxyModel extends NuttxSide {
    private final NuttxRngDevice[] entropy = new NuttxRngDevice[2];
    private final Set<Integer> created = new HashSet<>();
    private volatile long base;

    public NuttxProxyModel(Path path, NuttxModelOptions options) {
        super(path, options);
    }

    /** With NuttX's defaults (10 ms ticks, vdev retries every second). */
    public static NuttxProxyModel at(Path path) {
        return new NuttxProxyModel(path, NuttxModelOptions.defaults());
    }

    @Override
    protected boolean master() {
        return false;
    }

    /** The {@code base} read after the handshake. */
    public long base() {
        return base;
    }

    /** The vhost-rng serving entropy vdev {@code index}, once created, else null. */
    public NuttxRngDevice entropy(int index) {
        return entropy[index];
    }

    @Override
    protected NuttxSimFile boot() {
        NuttxSimFile f = NuttxSimFile.open(path);
        mapped(f);
        if ((f.boots() & NuttxSimFile.STATUS_OK) != 0) {
            f.bootm(NuttxSimFile.STATUS_NEED_RESET);
        }
        f.boots(NuttxSimFile.STATUS_BOOT);
        waitFor("the master's OK (bootm & 2)", f::bootm, b -> (b & NuttxSimFile.STATUS_OK) != 0);
        f.boots(NuttxSimFile.STATUS_OK);
        base = f.base();
        NuttxTable.assignNotifyIds(f.memory());
        return f;
    }

    @Override
    protected boolean createDevices() {
        MemorySegment m = requireFile().memory();
        boolean remain = false;
        int entropyIndex = 0;
        for (int i = 0; ; i++) {
            long vdev = NuttxTable.findRsc(m, FwRscHdrLayout.RSC_VDEV, i);
            if (vdev < 0) {
                return !remain;
            }
            int vrings = Byte.toUnsignedInt(m.get(LE_U8, vdev + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET));
            long configLen = Integer.toUnsignedLong(m.get(LE_U32, vdev + FwRscVdevLayout.CONFIG_LEN_OFFSET));
            if (vdev + FwRscVdevLayout.sizeOf(vrings, configLen) > NuttxSimFile.SIZE) {
                throw new NuttxModelException("vdev " + i + " (" + vrings + " vrings, config_len " + configLen
                        + ") runs past the file");
            }
            int id = m.get(LE_U32, vdev + FwRscVdevLayout.ID_OFFSET);
            int slot = id == NuttxTable.VIRTIO_ID_ENTROPY ? entropyIndex++ : -1;
            if (created.contains(i)) {
                continue;
            }
            if ((FwRscVdevLayout.statusAcquire(m, vdev) & FwRscVdevLayout.STATUS_DRIVER_OK) == 0) {
                remain = true;
                continue;
            }
            if (id == NuttxTable.VIRTIO_ID_ENTROPY && vrings >= 1 && slot < entropy.length) {
                NuttxVirtqueue vq = NuttxVirtqueue.device("vhost-rng" + slot, m, NuttxTable.placeFromTable(m, vdev, 0),
                        base);
                NuttxRngDevice device = new NuttxRngDevice(m, vq, this::notifyPeer);
                entropy[slot] = device;
                vdevs.add(device::process);
            } else if (id == NuttxTable.VIRTIO_ID_RPMSG && vrings >= 2 && configLen >= FwRscConfigLayout.SIZE) {
                createRpmsg(m, vdev, vrings);
            } else {
                throw new NuttxModelException("virtio device id = " + id + " with " + vrings + " vrings and config_len "
                        + configLen + " not supported");
            }
            created.add(i);
        }
    }

    private void createRpmsg(MemorySegment m, long vdev, int vrings) {
        int features = m.get(LE_U32, vdev + FwRscVdevLayout.DFEATURES_OFFSET)
                & FwRscVdevLayout.gfeaturesAcquire(m, vdev);
        long config = FwRscVdevLayout.configOffset(vdev, vrings);
        int h2r = 512;
        int r2h = 512;
        if ((features & NuttxTable.F_BUFSZ) != 0) {
            h2r = m.get(LE_U32, config + FwRscConfigLayout.H2R_BUF_SIZE_OFFSET);
            r2h = m.get(LE_U32, config + FwRscConfigLayout.R2H_BUF_SIZE_OFFSET);
        }
        if (h2r < 16 || r2h < 16 || h2r > 0x10000 || r2h > 0x10000) {
            throw new NuttxModelException("fw_rsc_config buffer sizes h2r " + h2r + ", r2h " + r2h);
        }
        String peer = NuttxTable.name(m, config + FwRscConfigLayout.HOST_CPUNAME_OFFSET, FwRscConfigLayout.CPUNAME_SIZE);
        String local = NuttxTable.name(m, config + FwRscConfigLayout.REMOTE_CPUNAME_OFFSET,
                FwRscConfigLayout.CPUNAME_SIZE);
        NuttxVirtqueue vring0 = NuttxVirtqueue.device("rpmsg.vring0", m, NuttxTable.placeFromTable(m, vdev, 0), base);
        NuttxVirtqueue vring1 = NuttxVirtqueue.device("rpmsg.vring1", m, NuttxTable.placeFromTable(m, vdev, 1), base);
        NuttxRpmsg r = NuttxRpmsg.device(m, vring0, vring1, this::notifyPeer, features, h2r, r2h, local, peer);
        rpmsg = r;
        // rpmsg_device_created (the services' endpoints) runs before the RX thread first looks.
        syslog = NuttxSyslog.client(r, "server");
        tty = NuttxTty.console(r);
        ping = new NuttxPing(r);
        vdevs.add(() -> {
            if (r.hasWork()) {
                r.processRx();
            }
        });
        r.processRx();
    }

    /** The syslog client's retry of what it could not send yet (NuttX: every 100 ms). */
    @Override
    protected void everyTick() {
        NuttxSyslog s = syslog;
        if (s != null) {
            s.transfer();
        }
    }

    /** A NuttX slave's stop writes nothing: the same as {@link #close()}. */
    public void stop() {
        close();
    }
}
