package io.rptun.core.rsc;

import io.rptun.core.memory.SharedAccess;
import java.lang.foreign.MemorySegment;

/**
 * The fields of a resource table that change while the system runs, read and written in place with
 * acquire/release ordering: vdev status and gfeatures, notify ids and vring addresses written back by
 * the host, and NuttX's command mailbox. Obtained from {@link ParsedResourceTable#attach(MemorySegment)};
 * indexes count vdevs (and their vrings) in table order.
 *
 * <p>Thread-safe: holds no state besides the segment and the parsed offsets.
 */
public final class LiveResourceTable {
    private final MemorySegment memory;
    private final ParsedResourceTable parsed;
    private final long[] vdevOffsets;
    private final long[][] vringOffsets;

    LiveResourceTable(MemorySegment memory, ParsedResourceTable parsed) {
        this.memory = memory;
        this.parsed = parsed;
        int vdevs = parsed.table().vdevs().size();
        this.vdevOffsets = new long[vdevs];
        this.vringOffsets = new long[vdevs][];
        for (int i = 0; i < vdevs; i++) {
            vdevOffsets[i] = parsed.vdevOffset(i);
            int vrings = parsed.table().vdevs().get(i).vrings().size();
            vringOffsets[i] = new long[vrings];
            for (int v = 0; v < vrings; v++) {
                vringOffsets[i][v] = FwRscVdevLayout.vringOffset(vdevOffsets[i], v);
            }
        }
    }

    private long vdevAt(int vdev) {
        if (vdev < 0 || vdev >= vdevOffsets.length) {
            throw new IndexOutOfBoundsException("vdev=" + vdev + ", vdevs=" + vdevOffsets.length);
        }
        return vdevOffsets[vdev];
    }

    private long vringAt(int vdev, int vring) {
        vdevAt(vdev);
        long[] vrings = vringOffsets[vdev];
        if (vring < 0 || vring >= vrings.length) {
            throw new IndexOutOfBoundsException("vring=" + vring + ", vrings=" + vrings.length);
        }
        return vrings[vring];
    }

    public ParsedResourceTable parsed() {
        return parsed;
    }

    /**
     * Virtio status of a vdev. Writer: driver (ACK, DRIVER, FEATURES_OK, DRIVER_OK) and device
     * (NEEDS_RESET). Read with acquire, so what the writer did before the new status is visible.
     */
    public int status(int vdev) {
        return FwRscVdevLayout.statusAcquire(memory, vdevAt(vdev));
    }

    /** Writes the status with release: rings, gfeatures and written-back addresses must be visible before it. */
    public void setStatus(int vdev, int status) {
        FwRscVdevLayout.statusRelease(memory, vdevAt(vdev), status & 0xFF);
    }

    /** Features the driver accepted. Writer: driver, before it kicks; reader: device. */
    public int gfeatures(int vdev) {
        return FwRscVdevLayout.gfeaturesAcquire(memory, vdevAt(vdev));
    }

    /** Writes gfeatures with release. */
    public void setGfeatures(int vdev, int features) {
        FwRscVdevLayout.gfeaturesRelease(memory, vdevAt(vdev), features);
    }

    /** Features the device offers (fixed once the table is built). */
    public int dfeatures(int vdev) {
        return SharedAccess.getIntAcquire(memory, vdevAt(vdev) + FwRscVdevLayout.DFEATURES_OFFSET);
    }

    /** The vdev's notify id (written back by the host when it was ANY). */
    public int vdevNotifyId(int vdev) {
        return FwRscVdevLayout.notifyIdAcquire(memory, vdevAt(vdev));
    }

    /** Writes the vdev's notify id back with release. */
    public void setVdevNotifyId(int vdev, int notifyId) {
        FwRscVdevLayout.notifyIdRelease(memory, vdevAt(vdev), notifyId);
    }

    /** A vring's da (u32) as written now. Untrusted when the peer may write it: translate and check. */
    public long vringDa(int vdev, int vring) {
        return Integer.toUnsignedLong(FwRscVdevVringLayout.daAcquire(memory, vringAt(vdev, vring)));
    }

    /** Writes a vring's da back with release: the zeroed vring must be visible before its address. */
    public void setVringDa(int vdev, int vring, long da) {
        FwRscVdevVringLayout.daRelease(memory, vringAt(vdev, vring), (int) Checks.u32("da", da));
    }

    /** A vring's notify id as written now. */
    public int vringNotifyId(int vdev, int vring) {
        return FwRscVdevVringLayout.notifyIdAcquire(memory, vringAt(vdev, vring));
    }

    /** Writes a vring's notify id back with release. */
    public void setVringNotifyId(int vdev, int vring, int notifyId) {
        FwRscVdevVringLayout.notifyIdRelease(memory, vringAt(vdev, vring), notifyId);
    }

    /** A carveout's da (u32) as written now. Untrusted when the peer may write it. */
    public long carveoutDa(int carveout) {
        return Integer.toUnsignedLong(SharedAccess.getIntAcquire(memory,
                parsed.carveoutOffset(carveout) + FwRscCarveoutLayout.DA_OFFSET));
    }

    /** A carveout's pa (u32) as written now. Untrusted when the peer may write it. */
    public long carveoutPa(int carveout) {
        return Integer.toUnsignedLong(SharedAccess.getIntAcquire(memory,
                parsed.carveoutOffset(carveout) + FwRscCarveoutLayout.PA_OFFSET));
    }

    /**
     * Writes back where the host placed a carveout that asked for ANY: pa first, then da with release,
     * so a reader that sees the new da also sees the new pa.
     */
    public void setCarveoutAddresses(int carveout, long da, long pa) {
        long at = parsed.carveoutOffset(carveout);
        SharedAccess.putIntRelease(memory, at + FwRscCarveoutLayout.PA_OFFSET, (int) Checks.u32("pa", pa));
        SharedAccess.putIntRelease(memory, at + FwRscCarveoutLayout.DA_OFFSET, (int) Checks.u32("da", da));
    }

    /** NuttX mailbox {@code cmd_master} (reserved[0]). Writer: master; reader: slave. */
    public NuttxCommand masterCommand() {
        return NuttxCommand.decode(SharedAccess.getIntAcquire(memory, ResourceTableLayout.RESERVED0_OFFSET));
    }

    /** Writes {@code cmd_master} with release; the sender then notifies all vrings. */
    public void setMasterCommand(NuttxCommand command) {
        SharedAccess.putIntRelease(memory, ResourceTableLayout.RESERVED0_OFFSET, command.encode());
    }

    /** NuttX mailbox {@code cmd_slave} (reserved[1]). Writer: slave; reader: master. */
    public NuttxCommand slaveCommand() {
        return NuttxCommand.decode(SharedAccess.getIntAcquire(memory, ResourceTableLayout.RESERVED1_OFFSET));
    }

    /** Writes {@code cmd_slave} with release; the sender then notifies all vrings. */
    public void setSlaveCommand(NuttxCommand command) {
        SharedAccess.putIntRelease(memory, ResourceTableLayout.RESERVED1_OFFSET, command.encode());
    }

    /** A fresh snapshot of the whole table, re-parsed from memory in the given mode. */
    public ParsedResourceTable snapshot(ParseMode mode) {
        return ResourceTableParser.parse(memory, mode);
    }
}
