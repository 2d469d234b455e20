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

    LiveResourceTable(MemorySegment memory, ParsedResourceTable parsed) {
        this.memory = memory;
        this.parsed = parsed;
    }

    public ParsedResourceTable parsed() {
        return parsed;
    }

    /**
     * Virtio status of a vdev. Writer: driver (ACK, DRIVER, FEATURES_OK, DRIVER_OK) and device
     * (NEEDS_RESET). Read with acquire, so what the writer did before the new status is visible.
     */
    public int status(int vdev) {
        return FwRscVdevLayout.statusAcquire(memory, parsed.vdevOffset(vdev));
    }

    /** Writes the status with release: rings, gfeatures and written-back addresses must be visible before it. */
    public void setStatus(int vdev, int status) {
        FwRscVdevLayout.statusRelease(memory, parsed.vdevOffset(vdev), status & 0xFF);
    }

    /** Features the driver accepted. Writer: driver, before it kicks; reader: device. */
    public int gfeatures(int vdev) {
        return FwRscVdevLayout.gfeaturesAcquire(memory, parsed.vdevOffset(vdev));
    }

    /** Writes gfeatures with release. */
    public void setGfeatures(int vdev, int features) {
        FwRscVdevLayout.gfeaturesRelease(memory, parsed.vdevOffset(vdev), features);
    }

    /** Features the device offers (fixed once the table is built). */
    public int dfeatures(int vdev) {
        return SharedAccess.getIntAcquire(memory, parsed.vdevOffset(vdev) + FwRscVdevLayout.DFEATURES_OFFSET);
    }

    /** The vdev's notify id (written back by the host when it was ANY). */
    public int vdevNotifyId(int vdev) {
        return FwRscVdevLayout.notifyIdAcquire(memory, parsed.vdevOffset(vdev));
    }

    /** Writes the vdev's notify id back with release. */
    public void setVdevNotifyId(int vdev, int notifyId) {
        FwRscVdevLayout.notifyIdRelease(memory, parsed.vdevOffset(vdev), notifyId);
    }

    /** A vring's da (u32) as written now. Untrusted when the peer may write it: translate and check. */
    public long vringDa(int vdev, int vring) {
        return Integer.toUnsignedLong(FwRscVdevVringLayout.daAcquire(memory, parsed.vringOffset(vdev, vring)));
    }

    /** Writes a vring's da back with release: the zeroed vring must be visible before its address. */
    public void setVringDa(int vdev, int vring, long da) {
        FwRscVdevVringLayout.daRelease(memory, parsed.vringOffset(vdev, vring), (int) Checks.u32("da", da));
    }

    /** A vring's notify id as written now. */
    public int vringNotifyId(int vdev, int vring) {
        return FwRscVdevVringLayout.notifyIdAcquire(memory, parsed.vringOffset(vdev, vring));
    }

    /** Writes a vring's notify id back with release. */
    public void setVringNotifyId(int vdev, int vring, int notifyId) {
        FwRscVdevVringLayout.notifyIdRelease(memory, parsed.vringOffset(vdev, vring), notifyId);
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
