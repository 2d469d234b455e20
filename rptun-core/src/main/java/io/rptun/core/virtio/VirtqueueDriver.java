package io.rptun.core.virtio;

import io.rptun.core.virtio.VringException.Reason;
import io.rptun.core.memory.WireLayouts;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The driver's side of a split virtqueue: it adds buffers to the avail ring, publishes them with one
 * release store of {@code avail.idx} per batch, and reaps the buffers the device returned on the used
 * ring. Linux's {@code virtqueue_add} / {@code virtqueue_kick_prepare} / {@code virtqueue_get_buf}.
 *
 * <h2>What lives where</h2>
 * The driver writes descriptors, avail slots, {@code avail.idx} and {@code avail.flags}; it reads
 * {@code used.idx}, used elements and {@code used.flags}. It keeps local shadows of {@code avail.idx},
 * of its free-descriptor list, of every descriptor's chain and length and of the avail ring it wrote,
 * and of the last used index it reaped: it never reads any of them back from shared memory, so a
 * device that scribbles over the descriptor table or the avail ring cannot confuse it.
 *
 * <h2>The device is untrusted</h2>
 * {@link #reap} checks, before it uses anything: that {@code used.idx} has moved by no more than the
 * number of published, unreaped buffers ({@link Reason#USED_IDX_JUMP}); that each {@code used.id} is the
 * head of such a buffer ({@link Reason#USED_ID_NOT_OUTSTANDING}); and that each {@code used.len} is no
 * larger than the buffer ({@link Reason#USED_LENGTH_BEYOND_BUFFER}). The first violation breaks the
 * queue; the entries before it were delivered.
 *
 * <p>Not thread-safe (see {@link Virtqueue}).
 *
 * @param <T> the token handed back with each reaped buffer
 */
public final class VirtqueueDriver<T> extends Virtqueue {
    /** {@link #add} had no free descriptor. */
    public static final int NO_DESCRIPTOR = -1;

    private static final byte FREE = 0;
    private static final byte ADDED = 1;
    private static final byte PUBLISHED = 2;

    /** Receives each buffer {@link #reap} takes off the used ring. */
    @FunctionalInterface
    public interface UsedHandler<T> {
        /**
         * @param token what {@link #add} was given for the buffer
         * @param head  the head descriptor's index
         * @param len   {@code used.len}: bytes the device says it wrote, already checked against the buffer
         */
        void used(T token, int head, int len);
    }

    private final @Nullable Object[] tokens;
    private final byte[] state;
    private final long[] bufferLength;
    private final int[] chainTail;
    private final int[] chainCount;
    private final int[] nextShadow;
    private final int[] availShadow;
    private final long[] descAddr;
    private final int[] descLen;
    private final int[] descFlagsNext;
    private int freeHead;
    private int freeTail;
    private int freeCount;
    private int availIdx;
    private int publishedIdx;
    private int lastUsedIdx;
    private int inFlight;

    /**
     * A driver over {@code vring}. Writes {@code avail.flags} and {@code avail.idx} to 0 (they are the
     * driver's); the used ring must have been cleared (its {@code idx} is 0) before the device starts.
     * From now on this driver is the only writer of the descriptors and the avail ring: it skips
     * rewriting a field that already holds the value it last wrote there, so clear the vring before
     * creating the driver, never after.
     */
    public VirtqueueDriver(String name, Vring vring) {
        super(name, vring);
        tokens = new Object[num];
        state = new byte[num];
        bufferLength = new long[num];
        chainTail = new int[num];
        chainCount = new int[num];
        nextShadow = new int[num];
        availShadow = new int[num];
        descAddr = new long[num];
        descLen = new int[num];
        descFlagsNext = new int[num];
        // No descriptor or slot has been written yet: -1 matches nothing a write could want.
        Arrays.fill(availShadow, -1);
        Arrays.fill(descFlagsNext, -1);
        freeTail = num - 1;
        for (int i = 0; i < num; i++) {
            nextShadow[i] = i + 1;
        }
        freeCount = num;
        VringAvailLayout.flagsRelease(memory, avail, 0);
        VringAvailLayout.idxRelease(memory, avail, 0);
    }

    /** Descriptors not part of any added buffer. */
    public int freeDescriptors() {
        return freeCount;
    }

    /** Buffers published to the device and not yet reaped. */
    public int inFlight() {
        return inFlight;
    }

    /** Buffers added but not yet published. */
    public int unpublished() {
        return (availIdx - publishedIdx) & 0xFFFF;
    }

    /**
     * Adds a one-descriptor buffer to the avail ring (not yet visible to the device: see {@link #publish()}).
     *
     * @param da       the buffer's device address
     * @param len      its length in bytes (an unsigned 32-bit value)
     * @param writable true if the device writes it (an RX buffer), false if it only reads it
     * @param token    handed back by {@link #reap} with the buffer
     * @return the head descriptor's index, or {@link #NO_DESCRIPTOR} if every descriptor is in use
     * @throws VringException if the queue is broken
     */
    public int add(long da, int len, boolean writable, T token) {
        checkNotBroken();
        if (freeCount == 0) {
            return NO_DESCRIPTOR;
        }
        int head = freeHead;
        freeHead = nextShadow[head];
        freeCount--;
        writeDesc(head, da, len, writable ? VringDescLayout.F_WRITE : 0, 0);
        chainTail[head] = head;
        chainCount[head] = 1;
        bufferLength[head] = Integer.toUnsignedLong(len);
        enqueue(head, token);
        return head;
    }

    /**
     * Adds a chain of {@code count} descriptors as one buffer: the first {@code firstWritable} are read
     * by the device, the rest written by it (virtio's "out" then "in" buffers).
     *
     * @return the head descriptor's index, or {@link #NO_DESCRIPTOR} if fewer than {@code count} are free
     * @throws IllegalArgumentException if {@code count} is not in {@code [1, num]} or the arrays are short
     * @throws VringException if the queue is broken
     */
    public int addChain(long[] da, int[] len, int count, int firstWritable, T token) {
        checkNotBroken();
        if (count < 1 || count > num || da.length < count || len.length < count
                || firstWritable < 0 || firstWritable > count) {
            throw new IllegalArgumentException("count=" + count + " firstWritable=" + firstWritable);
        }
        if (freeCount < count) {
            return NO_DESCRIPTOR;
        }
        int head = freeHead;
        int desc = head;
        long total = 0;
        for (int i = 0; i < count; i++) {
            int next = nextShadow[desc];
            boolean last = i == count - 1;
            int flags = (i >= firstWritable ? VringDescLayout.F_WRITE : 0) | (last ? 0 : VringDescLayout.F_NEXT);
            writeDesc(desc, da[i], len[i], flags, last ? 0 : next);
            total += Integer.toUnsignedLong(len[i]);
            if (last) {
                chainTail[head] = desc;
                freeHead = next;
            } else {
                desc = next;
            }
        }
        freeCount -= count;
        chainCount[head] = count;
        bufferLength[head] = total;
        enqueue(head, token);
        return head;
    }

    /**
     * Writes descriptor {@code d}, or only the fields that differ from what this driver last wrote
     * there (its shadow, never the shared bytes). A driver that sends the same buffers through the same
     * descriptors, as the FIFO free list and a port's FIFO pool arrange, then writes only what changed,
     * and the descriptor's cache line need not move to the device's core again.
     */
    private void writeDesc(int d, long da, int len, int flags, int next) {
        long desc = vring.desc(d);
        int flagsNext = flags << 16 | next;
        if (descAddr[d] != da || descFlagsNext[d] == -1) {
            descAddr[d] = da;
            memory.set(WireLayouts.LE_U64, desc + VringDescLayout.ADDR_OFFSET, da);
        }
        if (descLen[d] != len || descFlagsNext[d] == -1) {
            descLen[d] = len;
            memory.set(WireLayouts.LE_U32, desc + VringDescLayout.LEN_OFFSET, len);
        }
        if (descFlagsNext[d] != flagsNext) {
            descFlagsNext[d] = flagsNext;
            memory.set(WireLayouts.LE_U16, desc + VringDescLayout.FLAGS_OFFSET, (short) flags);
            memory.set(WireLayouts.LE_U16, desc + VringDescLayout.NEXT_OFFSET, (short) next);
        }
    }

    private void enqueue(int head, T token) {
        tokens[head] = token;
        state[head] = ADDED;
        int slot = availIdx & mask;
        if (availShadow[slot] != head) {
            availShadow[slot] = head;
            VringAvailLayout.ring(memory, avail, slot, head);
        }
        availIdx = (availIdx + 1) & 0xFFFF;
    }

    /**
     * Makes every added buffer visible to the device with one release store of {@code avail.idx}.
     *
     * @return how many buffers this published (0 if none were waiting)
     * @throws VringException if the queue is broken
     */
    public int publish() {
        checkNotBroken();
        int count = (availIdx - publishedIdx) & 0xFFFF;
        if (count == 0) {
            return 0;
        }
        for (int idx = publishedIdx; idx != availIdx; idx = (idx + 1) & 0xFFFF) {
            state[availShadow[idx & mask]] = PUBLISHED;
        }
        // The descriptors and avail slots must be visible before the new avail.idx.
        VringAvailLayout.idxRelease(memory, avail, availIdx);
        publishedIdx = availIdx;
        published();
        inFlight += count;
        return count;
    }

    @Override
    boolean peerSuppressesNotifications() {
        return (VringUsedLayout.flagsAcquire(memory, used) & VringUsedLayout.F_NO_NOTIFY) != 0;
    }

    /**
     * True if the device has returned buffers that {@link #reap} has not taken yet (a hint: it does not
     * validate them).
     */
    public boolean hasUsed() {
        return !isBroken() && VringUsedLayout.idxAcquire(memory, used) != lastUsedIdx;
    }

    /**
     * Takes up to {@code max} returned buffers off the used ring, checking each, frees their
     * descriptors and hands each to {@code handler} (after its descriptors are free, so the handler may
     * add buffers again).
     *
     * @return how many buffers were handed to {@code handler}
     * @throws VringException on the first violation, which breaks the queue (the buffers before it were
     *     handed over), or if the queue is already broken
     */
    public int reap(UsedHandler<? super T> handler, int max) {
        checkNotBroken();
        // used.idx is read with acquire: the used elements the device wrote before it are visible after.
        int usedIdx = VringUsedLayout.idxAcquire(memory, used);
        int pending = (usedIdx - lastUsedIdx) & 0xFFFF;
        if (pending > inFlight) {
            throw fail(Reason.USED_IDX_JUMP, lastUsedIdx, usedIdx, "used.idx went from " + lastUsedIdx
                    + " to " + usedIdx + " but only " + inFlight + " buffers are outstanding");
        }
        // A negative max takes nothing (rather than returning a negative count).
        int count = Math.min(pending, Math.max(max, 0));
        for (int i = 0; i < count; i++) {
            int slot = lastUsedIdx & mask;
            int id = VringUsedLayout.id(memory, used, slot);
            int len = VringUsedLayout.len(memory, used, slot);
            if (id < 0 || id >= num || state[id] != PUBLISHED) {
                throw fail(Reason.USED_ID_NOT_OUTSTANDING, lastUsedIdx, Integer.toUnsignedLong(id),
                        "used.ring[" + slot + "].id=" + Integer.toUnsignedString(id)
                                + " is not the head of an outstanding buffer");
            }
            if (Integer.toUnsignedLong(len) > bufferLength[id]) {
                throw fail(Reason.USED_LENGTH_BEYOND_BUFFER, lastUsedIdx, Integer.toUnsignedLong(len),
                        "used.ring[" + slot + "].len=" + Integer.toUnsignedString(len) + " > buffer length "
                                + bufferLength[id] + " of descriptor " + id);
            }
            @SuppressWarnings("unchecked")
            T token = (T) tokens[id];
            tokens[id] = null;
            state[id] = FREE;
            if (freeCount == 0) {
                freeHead = id;
            } else {
                nextShadow[freeTail] = id;
            }
            freeTail = chainTail[id];
            freeCount += chainCount[id];
            inFlight--;
            lastUsedIdx = (lastUsedIdx + 1) & 0xFFFF;
            handler.used(token, id, len);
        }
        return count;
    }

    /** Sets {@code avail.flags} NO_INTERRUPT: the device should not notify us of used buffers. */
    public void disableInterrupts() {
        VringAvailLayout.flagsRelease(memory, avail, VringAvailLayout.F_NO_INTERRUPT);
    }

    /**
     * Clears NO_INTERRUPT, then looks at the used ring again.
     *
     * @return true if used buffers are already waiting: reap them rather than wait for a notification
     */
    public boolean enableInterrupts() {
        VringAvailLayout.flagsRelease(memory, avail, 0);
        // The cleared flag must be visible before we reread used.idx: a device that returned a buffer
        // in between, still seeing NO_INTERRUPT, would not notify us, and we would wait on it forever.
        VarHandle.fullFence();
        return hasUsed();
    }
}
