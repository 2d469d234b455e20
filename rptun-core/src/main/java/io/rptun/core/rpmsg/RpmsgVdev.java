package io.rptun.core.rpmsg;

import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.RptunConfig;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringLayout;
import java.util.List;
import java.util.Optional;

/**
 * The rpmsg vdev of a resource table as one side sees it: where its vrings are, which buffer sizes and cpu
 * names the negotiated features select, and the window a remote accepts buffers from. Checked when made.
 */
final class RpmsgVdev {
    private final RpmsgDevice.Role role;
    private final SharedRegion region;
    private final LiveResourceTable table;
    private final int vdev;
    private final VdevResource resource;
    private final PeerNotifier notifier;
    private final String name;

    /** @throws RpmsgException BAD_VDEV if the table has no rpmsg vdev (id 7, two vrings) at {@code vdev} */
    RpmsgVdev(RpmsgDevice.Role role, SharedRegion region, LiveResourceTable table, int vdev, PeerNotifier notifier,
            String name) {
        this.role = role;
        this.region = region;
        this.table = table;
        this.vdev = vdev;
        this.notifier = notifier;
        this.name = name;
        List<VdevResource> vdevs = table.parsed().table().vdevs();
        if (vdev >= vdevs.size()) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": the table has " + vdevs.size() + " vdevs, no vdev "
                    + vdev);
        }
        this.resource = vdevs.get(vdev);
        if (resource.id() != RpmsgAddresses.VIRTIO_ID_RPMSG || resource.vrings().size() != 2) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": vdev " + vdev + " has id " + resource.id()
                    + " and " + resource.vrings().size() + " vrings (rpmsg is id 7 with 2)");
        }
    }

    /** Descriptors in this side's RX vring. */
    int rxNum() {
        return resource.vrings().get(role == RpmsgDevice.Role.HOST ? 0 : 1).num();
    }

    /**
     * Vring {@code index} where the table says it is now (the host wrote allocated addresses back).
     *
     * @throws RpmsgException BAD_VDEV if it does not lie inside the shared region
     */
    Vring vring(int index) {
        VringResource r = resource.vrings().get(index);
        long da = table.vringDa(vdev, index);
        try {
            return Vring.at(region, da, r.num(), r.align());
        } catch (AddressException | IllegalArgumentException e) {
            throw new RpmsgException(Reason.BAD_VDEV, name + ": vring " + index + " at da 0x" + Long.toHexString(da)
                    + " (num " + r.num() + ", align " + r.align() + ") does not fit the shared region", e);
        }
    }

    /** A notifier that rings the peer for vring {@code index}. */
    Notifier kick(int index) {
        return notifier.forQueue(table.vringNotifyId(vdev, index));
    }

    /**
     * The link over two ports: buffer sizes from {@code fw_rsc_config} with F_BUFSZ (0 there means 512),
     * else 512; cpu names with F_CPUNAME.
     *
     * @throws RpmsgException BAD_VDEV for a buffer size that cannot hold the header and a payload
     */
    RpmsgLink link(int features, VirtqueuePort tx, VirtqueuePort rx) {
        int h2r = RpmsgAddresses.DEFAULT_BUFFER_SIZE;
        int r2h = RpmsgAddresses.DEFAULT_BUFFER_SIZE;
        String host = "";
        String remote = "";
        Optional<RptunConfig> config = resource.rptunConfig();
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
        boolean isHost = role == RpmsgDevice.Role.HOST;
        int txSize = isHost ? h2r : r2h;
        int rxSize = isHost ? r2h : h2r;
        int maxPayload = Math.min(txSize - RpmsgHeaderLayout.SIZE, RpmsgHeaderLayout.MAX_LEN);
        return new RpmsgLink(tx, rx, txSize, rxSize, features, isHost ? host : remote, isHost ? remote : host,
                maxPayload);
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

    /** Where a remote's buffer window starts: after the table and both vrings, so no buffer may point at them. */
    long bufferWindowStart(Vring a, Vring b) {
        long start = table.parsed().extent();
        for (Vring v : List.of(a, b)) {
            long offset = v.memory().address() - region.segment().address();
            start = Math.max(start, offset + VringLayout.byteSize(v.num(), v.align()));
        }
        return start;
    }

    /** Where it ends: the end of the vdev's carveout when it has one, else of the region. */
    long bufferWindowEnd() {
        var carveouts = table.parsed().table().carveouts();
        if (vdev < carveouts.size() && carveouts.get(vdev).len() > 0) {
            long len = carveouts.get(vdev).len();
            return region.offsetOfDa(table.carveoutDa(vdev), len) + len;
        }
        return region.size();
    }
}
