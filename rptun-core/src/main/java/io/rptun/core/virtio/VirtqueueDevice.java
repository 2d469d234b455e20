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
    private final SharedRegion region;
    private final long buffersFrom;
    private final long buffersTo;
    private int heldCount;
    private final int[] usedIdShadow;
    private final int[] usedLenShadow;
    private final boolean[] held;
    private final int[] visitStamp;
    private final int[] heldNext;
    private final int[] heldChainSize;
    private final long[] heldLength;
    private final boolean[] heldHead;
    private int stamp;
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
        held = new boolean[num];
        visitStamp = new int[num];
        heldNext = new int[num];
        heldChainSize = new int[num];
        heldLength = new long[num];
        heldHead = new boolean[num];
        usedIdShadow = new int[num];
        usedLenShadow = new int[num];
        Arrays.fill(usedIdShadow, -1);
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
        for (int i = 0; i < into.size(); i++) {
            int d = into.descriptor(i);
            held[d] = true;
            heldNext[d] = i + 1 < into.size() ? into.descriptor(i + 1) : d;
        }
        heldHead[head] = true;
        heldCount++;
        heldChainSize[head] = into.size();
        heldLength[head] = into.totalLength();
        lastAvailIdx = (lastAvailIdx + 1) & 0xFFFF;
        return true;
    }

    private void walk(int head, DescriptorChain into) {
        into.reset(head);
        if (++stamp == 0) {
            Arrays.fill(visitStamp, 0);
            stamp = 1;
        }
        int d = head;
        while (true) {
            if (held[d]) {
                throw fail(Reason.DESC_IN_USE, d, d, "descriptor " + d + " (chain of avail idx " + lastAvailIdx
                        + ") is still held by the device");
            }
            if (visitStamp[d] == stamp) {
                throw fail(Reason.CHAIN_LOOP, d, d, "descriptor " + d + " appears twice in the chain at avail idx "
                        + lastAvailIdx + " (head " + head + ")");
            }
            visitStamp[d] = stamp;
            long desc = vring.desc(d);
            long addr = VringDescLayout.addr(memory, desc);
            long len = Integer.toUnsignedLong(VringDescLayout.len(memory, desc));
            int flags = VringDescLayout.flags(memory, desc);
            int next = VringDescLayout.next(memory, desc);
            if ((flags & VringDescLayout.F_INDIRECT) != 0) {
                throw fail(Reason.INDIRECT_DESCRIPTOR, d, flags, "descriptor " + d + " has flags 0x"
                        + Integer.toHexString(flags) + " with INDIRECT, which was not negotiated");
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
            into.add(d, addr, offset, len, (flags & VringDescLayout.F_WRITE) != 0);
            if ((flags & VringDescLayout.F_NEXT) == 0) {
                return;
            }
            if (next >= num) {
                throw fail(Reason.NEXT_OUT_OF_RANGE, d, next, "descriptor " + d + " next=" + next
                        + " is not below num=" + num);
            }
            d = next;
        }
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
        if (head < 0 || head >= num || !heldHead[head]) {
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
        if (usedIdShadow[slot] != head || usedLenShadow[slot] != (int) len) {
            usedIdShadow[slot] = head;
            usedLenShadow[slot] = (int) len;
            VringUsedLayout.element(memory, used, slot, head, (int) len);
        }
        usedIdx = (usedIdx + 1) & 0xFFFF;
        heldHead[head] = false;
        heldCount--;
        int d = head;
        for (int i = 0; i < heldChainSize[head]; i++) {
            held[d] = false;
            d = heldNext[d];
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
