package io.rptun.core.layout;

import java.util.Objects;

/**
 * One range of a {@link MemoryPlan}. Offsets count bytes from the shared region's byte 0. A
 * {@link Kind#CARVEOUT} holds its vrings and heap; a {@link Kind#HEAP} holds its RX and TX buffers; every
 * other region holds nothing, and two regions share bytes only when one of them holds the other.
 *
 * @param kind what lives there
 * @param label a readable name, e.g. {@code vdev0 vring1 (num 256, align 0x1000)}
 * @param offset first byte, from the region's byte 0 (for an entry outside the region: its pa minus the
 *     region's base pa, which may be negative)
 * @param size bytes (for a vring allocated by the planner: its size rounded up to its align)
 * @param da device address of the first byte
 */
public record PlannedRegion(Kind kind, String label, long offset, long size, long da) {

    /** What a planned region holds. */
    public enum Kind {
        /** The resource table at offset 0, with its reserve. */
        TABLE,
        /** One vring. */
        VRING,
        /** A carveout entry's memory: its vdev's vrings and heap. */
        CARVEOUT,
        /** The shared heap of one vdev, where the driver allocates its rpmsg buffers. */
        HEAP,
        /** The driver's RX buffers, posted to vring0 at start-up (inside a heap). */
        RX_BUFFERS,
        /** The rest of the heap, where the driver's TX buffers are allocated lazily. */
        TX_BUFFERS,
        /** A trace buffer. */
        TRACE,
        /** A devmem entry's memory. */
        DEVMEM,
        /** Bytes nothing uses (only in {@link MemoryPlan#describe()}). */
        FREE;

        /** Whether regions of this kind hold other regions (carveouts and heaps). */
        public boolean isContainer() {
            return this == CARVEOUT || this == HEAP;
        }
    }

    /** Checks the label and that size is not negative. */
    public PlannedRegion {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(label, "label");
        if (size < 0) {
            throw new IllegalArgumentException("size=" + size);
        }
    }

    /** The offset just past the last byte. */
    public long end() {
        return offset + size;
    }

    /** Whether this region and {@code other} share at least one byte. */
    public boolean overlaps(PlannedRegion other) {
        return size > 0 && other.size > 0 && offset < other.end() && other.offset < end();
    }

    /** Whether every byte of {@code other} lies in this region. */
    public boolean contains(PlannedRegion other) {
        return other.offset >= offset && other.end() <= end();
    }
}
