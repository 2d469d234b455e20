package io.rptun.core.virtio;

import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.VringException.Reason;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;

/**
 * The device's side of a split virtqueue: it takes the buffers the driver offered on the avail ring and
 * returns them on the used ring, publishing many with one release store of {@code used.idx}. OpenAMP's
 * {@code virtqueue_get_available_buffer} / {@code virtqueue_add_consumed_buffer}.
 *
 * <h2>What lives where</h2>
 * The device writes used elements, {@code used.idx} and {@code used.flags}; it reads {@code avail.idx},
 * avail slots, descriptors and {@code avail.flags}. It keeps local shadows of the avail index it has
 * taken up to, of {@code used.idx}, and of every chain it holds: nothing it owns is read back from
 * shared memory.
 *
 * <h2>The driver is untrusted</h2>
 * {@link #take} checks, before it uses anything: that {@code avail.idx} has moved by no more than
 * {@code num} ({@link Reason#AVAIL_IDX_JUMP}); that the slot names a descriptor below {@code num}
 * ({@link Reason#DESC_INDEX_OUT_OF_RANGE}); that every {@code next} does too
 * ({@link Reason#NEXT_OUT_OF_RANGE}) and no descriptor appears twice in the chain
 * ({@link Reason#CHAIN_LOOP}) or is still held from an earlier one ({@link Reason#DESC_IN_USE}); that no
 * descriptor is INDIRECT ({@link Reason#INDIRECT_DESCRIPTOR}); and that every {@code addr}/{@code len}
 * range translates into the shared region ({@link Reason#ADDRESS_OUTSIDE_REGION}) and, when the device
 * was given one, into its buffer window ({@link Reason#BUFFER_OUTSIDE_WINDOW}). Each descriptor is
 * read exactly once, so a driver rewriting it meanwhile cannot make a checked value change under us.
 * A chain is at most {@code num} long, so no walk can loop.
 *
 * <p>Not thread-safe (see {@link Virtqueue}).
 */
public final class VirtqueueDevice extends Virtqueue {
    /** What {@link #takeSingle()} returns when the driver has offered nothing new. */
    public static final int NOTHING_OFFERED = -1;
    private final SharedRegion region;
    private final long buffersFrom;
    private final long buffersTo;
    private int heldCount;
    /**
     * Per used slot, the element this device last wrote there, {@code id << 32 | len} (-1: none), so that an
     * unchanged one is not written again.
     */
    private final long[] usedShadow;
    /**
     * Per descriptor, what this device holds of it: 0 nothing, {@link #HELD_IN_CHAIN} a descriptor behind the
     * head of a held chain, n > 0 the head of a held chain of n descriptors. One array, so that a take and its
     * return touch one line of it rather than one line in each of several arrays.
     */
    private final int[] hold;
    private final int[] visitStamp;
    /** Per held descriptor of a chain of more than one, the next one (the last names itself). */
    private final int[] heldNext;
    /** Per held head, the chain's total length: the most its used element may report. */
    private final long[] heldLength;
    /**
     * Per descriptor, the last {@code addr}/{@code len} pair that passed the region and window checks, and the
     * offset it translated to, side by side ({@link #CHECKED_STRIDE} longs; a len of -1: none yet). The region's translation and the window never
     * change, so the same pair passes again with the same offset: a driver that keeps each buffer on its
     * descriptor (as rptun's and OpenAMP's do) costs one comparison per take instead of an address search.
     */
    private final long[] checked;
    /** Longs per descriptor in {@link #checked}: addr, len, offset. */
    private static final int CHECKED_STRIDE = 3;
    private static final int HELD_IN_CHAIN = -1;
    private int stamp;
    private long takenDa;
    private long takenOffset;
    private long takenLength;
    private boolean takenWritable;
    private int lastAvailIdx;
    private int seenAvailIdx;
    private int usedIdx;
    private int publishedUsedIdx;

    /**
     * A device over {@code vring}, whose descriptors address {@code region}. Writes {@code used.flags}
     * and {@code used.idx} to 0 (they are the device's). Create it once the driver has set DRIVER_OK
     * (after the driver cleared the vring): from then on it is the only writer of the used ring, and it
     * skips rewriting an element that holds what it last wrote there.
     */
    public VirtqueueDevice(String name, Vring vring, SharedRegion region) {
        this(name, vring, region, 0, region.size());
    }

    /**
     * A device whose buffers must also lie inside {@code [buffersFrom, buffersTo)}, offsets in the
     * region: typically the carveout heap the driver allocates them from, so that a driver pointing a
     * buffer at the resource table or at the vrings themselves breaks the queue
     * ({@link Reason#BUFFER_OUTSIDE_WINDOW}) instead of handing the device's user a window onto them.
     *
     * @throws IllegalArgumentException unless {@code 0 <= buffersFrom <= buffersTo <= region.size()}
     */
    public VirtqueueDevice(String name, Vring vring, SharedRegion region, long buffersFrom, long buffersTo) {
        super(name, vring);
        this.region = Objects.requireNonNull(region, "region");
        if (buffersFrom < 0 || buffersFrom > buffersTo || buffersTo > region.size()) {
            throw new IllegalArgumentException("buffer window [0x" + Long.toHexString(buffersFrom) + ", 0x"
                    + Long.toHexString(buffersTo) + ") is not inside the region of 0x"
                    + Long.toHexString(region.size()) + " bytes");
        }
        this.buffersFrom = buffersFrom;
        this.buffersTo = buffersTo;
        hold = new int[num];
        visitStamp = new int[num];
        heldNext = new int[num];
        heldLength = new long[num];
        checked = new long[CHECKED_STRIDE * num];
        for (int d = 0; d < num; d++) {
            checked[CHECKED_STRIDE * d + 1] = -1; // no len checked yet
        }
        usedShadow = new long[num];
        Arrays.fill(usedShadow, -1);
        VringUsedLayout.flagsRelease(memory, used, 0);
        VringUsedLayout.idxRelease(memory, used, 0);
    }

    /** The region the descriptors' addresses are checked against. */
    public SharedRegion region() {
        return region;
    }

    /**
     * How many buffers the driver has offered that {@link #take} has not taken yet.
     *
     * @throws VringException ({@link Reason#AVAIL_IDX_JUMP}) if {@code avail.idx} jumped, or if broken
     */
    public int available() {
        checkNotBroken();
        return readAvailIdx();
    }

    /**
     * True if {@code avail.idx} differs from what this device has taken: a hint for pollers that any
     * thread may call. It neither checks nor records anything; {@link #take} does both.
     */
    public boolean hasAvailable() {
        return !isBroken() && VringAvailLayout.idxAcquire(memory, avail) != lastAvailIdx;
    }

    /** Reads and checks {@code avail.idx}; returns the number of untaken buffers. */
    private int readAvailIdx() {
        // avail.idx is read with acquire: the slots and descriptors written before it are visible after.
        int idx = VringAvailLayout.idxAcquire(memory, avail);
        int pending = (idx - lastAvailIdx) & 0xFFFF;
        if (pending > num) {
            throw fail(Reason.AVAIL_IDX_JUMP, lastAvailIdx, idx, "avail.idx went from " + lastAvailIdx
                    + " to " + idx + ", more than num=" + num);
        }
        seenAvailIdx = idx;
        return pending;
    }

    /**
     * Takes the next offered buffer, checking it, into {@code into}.
     *
     * @return false if the driver has offered nothing new
     * @throws VringException on the first violation, which breaks the queue, or if already broken
     */
    public boolean take(DescriptorChain into) {
        checkNotBroken();
        if (into.capacity() < num) {
            throw new IllegalArgumentException("chain view holds " + into.capacity() + " < num=" + num);
        }
        if (lastAvailIdx == seenAvailIdx && readAvailIdx() == 0) {
            return false;
        }
        int slot = lastAvailIdx & mask;
        int head = VringAvailLayout.ring(memory, avail, slot);
        if (head >= num) {
            throw fail(Reason.DESC_INDEX_OUT_OF_RANGE, lastAvailIdx, head,
                    "avail.ring[" + slot + "]=" + head + " is not below num=" + num);
        }
        walk(head, into);
        int size = into.size();
        for (int i = 1; i < size; i++) {
            int d = into.descriptor(i);
            hold[d] = HELD_IN_CHAIN;
            heldNext[into.descriptor(i - 1)] = d;
            heldNext[d] = d;
        }
        hold[head] = size;
        heldCount++;
        heldLength[head] = into.totalLength();
        lastAvailIdx = (lastAvailIdx + 1) & 0xFFFF;
        return true;
    }

    /**
     * Takes the next offered buffer, which must be a single descriptor, with every check {@link #take} makes:
     * the queue's fast path for rings that carry one buffer per message (rpmsg's). What it took is read with
     * {@link #takenDa()}, {@link #takenOffset()}, {@link #takenLength()} and {@link #takenWritable()} until the
     * next take; return it with {@link #putUsed} as any other.
     *
     * @return the descriptor's index (its {@code used.id}), or {@link #NOTHING_OFFERED}
     * @throws VringException on the first violation, which breaks the queue, or if already broken; a chain
     *     breaks it too ({@link Reason#UNEXPECTED_CHAIN}), once checked as {@link #take} checks one (a chain
     *     that is also malformed is reported as such)
     */
    public int takeSingle() {
        checkNotBroken();
        if (lastAvailIdx == seenAvailIdx && readAvailIdx() == 0) {
            return NOTHING_OFFERED;
        }
        int slot = lastAvailIdx & mask;
        int head = VringAvailLayout.ring(memory, avail, slot);
        if (head >= num) {
            throw fail(Reason.DESC_INDEX_OUT_OF_RANGE, lastAvailIdx, head,
                    "avail.ring[" + slot + "]=" + head + " is not below num=" + num);
        }
        if (hold[head] != 0) {
            throw fail(Reason.DESC_IN_USE, head, head, "descriptor " + head + " (chain of avail idx " + lastAvailIdx
                    + ") is still held by the device");
        }
        // Read once, as walk reads it: what is checked is what is used.
        long desc = vring.desc(head);
        long addr = VringDescLayout.addr(memory, desc);
        long len = Integer.toUnsignedLong(VringDescLayout.len(memory, desc));
        int flags = VringDescLayout.flags(memory, desc);
        if ((flags & VringDescLayout.F_INDIRECT) != 0) {
            throw fail(Reason.INDIRECT_DESCRIPTOR, head, flags, "descriptor " + head + " has flags 0x"
                    + Integer.toHexString(flags) + " with INDIRECT, which was not negotiated");
        }
        long offset = checkedOffset(head, addr, len);
        if ((flags & VringDescLayout.F_NEXT) != 0) {
            DescriptorChain chain = new DescriptorChain(num); // the queue breaks below: no steady-state allocation
            walk(head, chain);
            throw fail(Reason.UNEXPECTED_CHAIN, head, chain.size(), "avail buffer with head " + head
                    + " is a chain of " + chain.size() + " descriptors");
        }
        hold[head] = 1;
        heldCount++;
        heldLength[head] = len;
        takenDa = addr;
        takenOffset = offset;
        takenLength = len;
        takenWritable = (flags & VringDescLayout.F_WRITE) != 0;
        lastAvailIdx = (lastAvailIdx + 1) & 0xFFFF;
        return head;
    }

    /** The device address of the buffer {@link #takeSingle} took last, as the driver wrote it. */
    public long takenDa() {
        return takenDa;
    }

    /** Its offset in the region (checked to lie in the region and in the buffer window). */
    public long takenOffset() {
        return takenOffset;
    }

    /** Its length in bytes (an unsigned 32-bit value). */
    public long takenLength() {
        return takenLength;
    }

    /** True when the device may write it (VRING_DESC_F_WRITE). */
    public boolean takenWritable() {
        return takenWritable;
    }

    /**
     * Reads the chain from {@code head} into {@code into}, each descriptor once, checking each before it is
     * used. Loops are caught by stamping the descriptors visited, once there is a second: a single descriptor
     * (the common case) cannot loop, and costs no stamp.
     */
    private void walk(int head, DescriptorChain into) {
        into.reset(head);
        int d = head;
        boolean chained = false;
        while (true) {
            if (hold[d] != 0) {
                throw fail(Reason.DESC_IN_USE, d, d, "descriptor " + d + " (chain of avail idx " + lastAvailIdx
                        + ") is still held by the device");
            }
            if (chained) {
                if (visitStamp[d] == stamp) {
                    throw fail(Reason.CHAIN_LOOP, d, d, "descriptor " + d + " appears twice in the chain at avail idx "
                            + lastAvailIdx + " (head " + head + ")");
                }
                visitStamp[d] = stamp;
            }
            long desc = vring.desc(d);
            long addr = VringDescLayout.addr(memory, desc);
            long len = Integer.toUnsignedLong(VringDescLayout.len(memory, desc));
            int flags = VringDescLayout.flags(memory, desc);
            if ((flags & VringDescLayout.F_INDIRECT) != 0) {
                throw fail(Reason.INDIRECT_DESCRIPTOR, d, flags, "descriptor " + d + " has flags 0x"
                        + Integer.toHexString(flags) + " with INDIRECT, which was not negotiated");
            }
            into.add(d, addr, checkedOffset(d, addr, len), len, (flags & VringDescLayout.F_WRITE) != 0);
            if ((flags & VringDescLayout.F_NEXT) == 0) {
                return;
            }
            int next = VringDescLayout.next(memory, desc);
            if (next >= num) {
                throw fail(Reason.NEXT_OUT_OF_RANGE, d, next, "descriptor " + d + " next=" + next
                        + " is not below num=" + num);
            }
            if (!chained) {
                // A chain after all: from here on every descriptor visited is stamped, the head too, and one seen
                // twice is a loop.
                chained = true;
                if (++stamp == 0) {
                    Arrays.fill(visitStamp, 0);
                    stamp = 1;
                }
                visitStamp[head] = stamp;
            }
            d = next;
        }
    }

    /**
     * The offset in the region of descriptor {@code d}'s buffer {@code [addr, addr + len)}, checked to lie in
     * the region and in the buffer window (see {@link #checkedAddr}).
     */
    private long checkedOffset(int d, long addr, long len) {
        int c = CHECKED_STRIDE * d;
        if (checked[c + 1] == len && checked[c] == addr) {
            return checked[c + 2];
        }
        long offset;
        try {
            offset = region.offsetOfDescriptorAddress(addr, len);
        } catch (AddressException e) {
            throw fail(new VringException(Reason.ADDRESS_OUTSIDE_REGION, name, d, addr, "descriptor " + d
                    + " addr=0x" + Long.toHexString(addr) + " len=0x" + Long.toHexString(len)
                    + " is not inside the shared region", e));
        }
        if (offset < buffersFrom || len > buffersTo - offset) {
            throw fail(Reason.BUFFER_OUTSIDE_WINDOW, d, addr, "descriptor " + d + " addr=0x"
                    + Long.toHexString(addr) + " len=0x" + Long.toHexString(len) + " (offset 0x"
                    + Long.toHexString(offset) + ") is not inside the buffer window [0x"
                    + Long.toHexString(buffersFrom) + ", 0x" + Long.toHexString(buffersTo) + ")");
        }
        checked[c] = addr;
        checked[c + 1] = len;
        checked[c + 2] = offset;
        return offset;
    }

    /**
     * Returns a buffer this device took, as used element {@code (head, len)}; not yet visible to the
     * driver (see {@link #publishUsed()}).
     *
     * @throws IllegalArgumentException if {@code head} is not a chain this device holds, or {@code len}
     *     exceeds its total length or 2^32 - 1 (these are the caller's mistakes, not the peer's)
     * @throws VringException if the queue is broken
     */
    public void putUsed(int head, long len) {
        checkNotBroken();
        int size;
        if (head < 0 || head >= num || (size = hold[head]) <= 0) {
            throw new IllegalArgumentException("descriptor " + head + " is not the head of a chain " + name
                    + " holds");
        }
        if (len < 0 || len > heldLength[head]) {
            throw new IllegalArgumentException("len=" + len + " exceeds the chain's length " + heldLength[head]);
        }
        // used.len is a u32: a chain's total length can exceed it, but a larger len would be truncated
        // by the (int) cast below and reach the driver as a different, wrong length.
        if (len > WireLayouts.U32_MAX) {
            throw new IllegalArgumentException("len=" + len + " does not fit used.len (u32)");
        }
        int slot = usedIdx & mask;
        // Skip rewriting an element that already holds what this device last wrote there (its shadow):
        // with buffers that keep their descriptors, the used ring's lines then stay put.
        long element = (long) head << 32 | len;
        if (usedShadow[slot] != element) {
            usedShadow[slot] = element;
            VringUsedLayout.element(memory, used, slot, head, (int) len);
        }
        usedIdx = (usedIdx + 1) & 0xFFFF;
        hold[head] = 0;
        heldCount--;
        int d = head;
        for (int i = 1; i < size; i++) {
            d = heldNext[d];
            hold[d] = 0;
        }
    }

    /** Chains taken and not yet returned. */
    public int held() {
        return heldCount;
    }

    /**
     * Makes every returned buffer visible to the driver with one release store of {@code used.idx}.
     *
     * @return how many buffers this published
     * @throws VringException if the queue is broken
     */
    public int publishUsed() {
        checkNotBroken();
        int count = (usedIdx - publishedUsedIdx) & 0xFFFF;
        if (count == 0) {
            return 0;
        }
        // The used elements must be visible before the new used.idx.
        VringUsedLayout.idxRelease(memory, used, usedIdx);
        publishedUsedIdx = usedIdx;
        published();
        return count;
    }

    @Override
    boolean peerSuppressesNotifications() {
        return (VringAvailLayout.flagsAcquire(memory, avail) & VringAvailLayout.F_NO_INTERRUPT) != 0;
    }

    /** Sets {@code used.flags} NO_NOTIFY: the driver should not kick us for new buffers. */
    public void disableNotifications() {
        VringUsedLayout.flagsRelease(memory, used, VringUsedLayout.F_NO_NOTIFY);
    }

    /**
     * Clears NO_NOTIFY, then looks at the avail ring again.
     *
     * @return true if offered buffers are already waiting: take them rather than wait for a kick
     * @throws VringException if {@code avail.idx} jumped, or the queue is broken
     */
    public boolean enableNotifications() {
        setNotificationsFlag(true);
        return available() > 0;
    }

    /**
     * Clears NO_NOTIFY (with the full fence a recheck of {@code avail.idx} needs after it) or sets it,
     * without reading the ring: for a caller that is not the ring's owner and rechecks with
     * {@link #hasAvailable()}.
     */
    void setNotificationsFlag(boolean on) {
        if (!on) {
            disableNotifications();
            return;
        }
        VringUsedLayout.flagsRelease(memory, used, 0);
        // The cleared flag must be visible before we reread avail.idx: a driver that offered a buffer in
        // between, still seeing NO_NOTIFY, would not kick us, and we would wait on it forever.
        VarHandle.fullFence();
    }
}
