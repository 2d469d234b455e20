package io.rptun.sim;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.virtio.VringLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a simulated link is set up; both sides must agree on the path and (for the host) the table.
 *
 * @param path the shared file ({@code /dev/shm/NAME} by default)
 * @param regionSize bytes of the rptun region behind the 4096-byte sim header: table, vrings, heap
 * @param table the NuttX table the host lays out (its carveout is sized to the region)
 * @param deleteOnClose whether the host deletes the file when it closes
 * @param idle how a serving thread waits before it sleeps in the futex ({@link IdleStrategy#busySpin()}
 *     for the lowest latency at the price of a core per side)
 * @param liveness how long a peer's heartbeat may stand still before it is reported lost (a dead
 *     process is reported sooner, at the next check: every {@code liveness / 5})
 * @param attachTimeout how long a remote waits for the file and for a layout to attach to
 * @param hostName the host's cpu name
 * @param remoteName the remote's cpu name
 */
public record SimOptions(Path path, long regionSize, RptunRsc table, boolean deleteOnClose, IdleStrategy idle,
        Duration liveness, Duration attachTimeout, String hostName, String remoteName) {
    /** 1 MiB region: room for 64-entry rings of 512-byte buffers both ways with slack. */
    public static final long DEFAULT_REGION_SIZE = 1 << 20;
    /** Entries per vring in {@link #defaults}. */
    public static final int DEFAULT_VRING_NUM = 64;
    /** Bytes per rpmsg buffer (both directions) in {@link #defaults}. */
    public static final int DEFAULT_BUFFER_SIZE = 512;
    /** Room for the resource table and the heap's rounding, besides the rings and their buffers. */
    private static final long TABLE_SLACK = 0x10000;

    public SimOptions {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(hostName, "hostName");
        Objects.requireNonNull(remoteName, "remoteName");
        if (regionSize < 0x10000) {
            throw new IllegalArgumentException("regionSize must be at least 64 KiB: " + regionSize);
        }
        if (liveness.toMillis() < 10 || attachTimeout.isNegative()) {
            throw new IllegalArgumentException("liveness must be at least 10 ms (" + liveness
                    + ") and attachTimeout not negative (" + attachTimeout + ")");
        }
    }

    /**
     * {@code /dev/shm/<name>}, a 1 MiB region, NuttX's current table with 64-entry vrings and 512-byte
     * buffers, every feature; back-off idling, a 1 s liveness bound, 10 s to attach, cpu names "host" and
     * "remote", the file deleted on close.
     */
    public static SimOptions defaults(String name) {
        return new SimOptions(SimFile.shmPath(name), DEFAULT_REGION_SIZE, table(DEFAULT_VRING_NUM, DEFAULT_BUFFER_SIZE),
                true, IdleStrategy.backoff(),
                Duration.ofSeconds(1), Duration.ofSeconds(10), "host", "remote");
    }

    /**
     * The smallest region that {@link #table table(num, bufferSize)} fits: both vrings at page alignment, a
     * buffer per entry in each direction (granule-rounded, as the heap hands them out), and room for the table.
     * {@link #withRegionSize} is not raised by itself: a caller with larger rings asks for at least this.
     */
    public static long regionFor(int num, int bufferSize) {
        long rings = 2 * WireLayouts.alignUp(VringLayout.byteSize(num, 0x1000), 0x1000);
        return WireLayouts.alignUp(TABLE_SLACK + rings + 2L * num * WireLayouts.alignUp(bufferSize, 64), 0x1000);
    }

    /** NuttX's current table with {@code num} descriptors per vring and {@code bufferSize}-byte buffers. */
    public static RptunRsc table(int num, int bufferSize) {
        return RptunRsc.defaults(Generation.CURRENT).withVrings(num, 0x1000).withBufferSizes(bufferSize, bufferSize)
                .withFeatures(RpmsgAddresses.SUPPORTED);
    }

    public SimOptions withPath(Path value) {
        return new SimOptions(value, regionSize, table, deleteOnClose, idle, liveness, attachTimeout, hostName, remoteName);
    }

    public SimOptions withRegionSize(long value) {
        return new SimOptions(path, value, table, deleteOnClose, idle, liveness, attachTimeout, hostName, remoteName);
    }

    public SimOptions withTable(RptunRsc value) {
        return new SimOptions(path, regionSize, value, deleteOnClose, idle, liveness, attachTimeout, hostName, remoteName);
    }

    public SimOptions withDeleteOnClose(boolean value) {
        return new SimOptions(path, regionSize, table, value, idle, liveness, attachTimeout, hostName, remoteName);
    }

    public SimOptions withIdle(IdleStrategy value) {
        return new SimOptions(path, regionSize, table, deleteOnClose, value, liveness, attachTimeout, hostName, remoteName);
    }

    public SimOptions withLiveness(Duration value) {
        return new SimOptions(path, regionSize, table, deleteOnClose, idle, value, attachTimeout, hostName, remoteName);
    }

    public SimOptions withAttachTimeout(Duration value) {
        return new SimOptions(path, regionSize, table, deleteOnClose, idle, liveness, value, hostName, remoteName);
    }

    public SimOptions withNames(String host, String remote) {
        return new SimOptions(path, regionSize, table, deleteOnClose, idle, liveness, attachTimeout, host, remote);
    }
}
