package io.rptun.core.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Ordered (acquire/release) access to little-endian words in shared memory.
 *
 * <p>Names carry the ordering, as in Agrona: {@code putIntRelease} pairs with {@code getIntAcquire}.
 * A release store makes every earlier write of this thread visible to a thread whose acquire load
 * reads the stored value.
 *
 * <p>Where the word is naturally aligned in a segment that allows it (native and mapped segments),
 * the access is a single {@link VarHandle} access in acquire or release mode. Packed C structures and
 * heap segments can place a word at an unaligned address, where atomic access modes are not available;
 * there the access is plain and fenced: {@link VarHandle#releaseFence()} before a store,
 * {@link VarHandle#acquireFence()} after a load, which gives the same ordering. Such words are never
 * written concurrently by both sides (each shared field has one writer), so tearing is not a concern
 * for correctness of ownership, only of the value: readers must validate what they read anyway.
 */
public final class SharedAccess {
    private static final ValueLayout.OfShort U16_ALIGNED = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32_ALIGNED = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64_ALIGNED = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U8 = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle U16 = U16_ALIGNED.varHandle();
    private static final VarHandle U32 = U32_ALIGNED.varHandle();
    private static final VarHandle U64 = U64_ALIGNED.varHandle();

    private SharedAccess() {
    }

    private static boolean aligned(MemorySegment segment, long offset, int size) {
        return segment.maxByteAlignment() >= size && ((segment.address() + offset) & (size - 1)) == 0;
    }

    /** Reads a byte; the peer's earlier writes are visible after it. */
    public static byte getByteAcquire(MemorySegment segment, long offset) {
        return (byte) U8.getAcquire(segment, offset);
    }

    /** Writes a byte; this thread's earlier writes are visible before it. */
    public static void putByteRelease(MemorySegment segment, long offset, byte value) {
        U8.setRelease(segment, offset, value);
    }

    /** Reads a little-endian {@code uint16_t}; the peer's earlier writes are visible after it. */
    public static short getShortAcquire(MemorySegment segment, long offset) {
        if (aligned(segment, offset, 2)) {
            return (short) U16.getAcquire(segment, offset);
        }
        short value = segment.get(WireLayouts.LE_U16, offset);
        VarHandle.acquireFence();
        return value;
    }

    /** Writes a little-endian {@code uint16_t}; this thread's earlier writes are visible before it. */
    public static void putShortRelease(MemorySegment segment, long offset, short value) {
        if (aligned(segment, offset, 2)) {
            U16.setRelease(segment, offset, value);
            return;
        }
        VarHandle.releaseFence();
        segment.set(WireLayouts.LE_U16, offset, value);
    }

    /** Reads a little-endian {@code uint32_t}; the peer's earlier writes are visible after it. */
    public static int getIntAcquire(MemorySegment segment, long offset) {
        if (aligned(segment, offset, 4)) {
            return (int) U32.getAcquire(segment, offset);
        }
        int value = segment.get(WireLayouts.LE_U32, offset);
        VarHandle.acquireFence();
        return value;
    }

    /** Writes a little-endian {@code uint32_t}; this thread's earlier writes are visible before it. */
    public static void putIntRelease(MemorySegment segment, long offset, int value) {
        if (aligned(segment, offset, 4)) {
            U32.setRelease(segment, offset, value);
            return;
        }
        VarHandle.releaseFence();
        segment.set(WireLayouts.LE_U32, offset, value);
    }

    /** Reads a little-endian {@code uint64_t}; the peer's earlier writes are visible after it. */
    public static long getLongAcquire(MemorySegment segment, long offset) {
        if (aligned(segment, offset, 8)) {
            return (long) U64.getAcquire(segment, offset);
        }
        long value = segment.get(WireLayouts.LE_U64, offset);
        VarHandle.acquireFence();
        return value;
    }

    /** Writes a little-endian {@code uint64_t}; this thread's earlier writes are visible before it. */
    public static void putLongRelease(MemorySegment segment, long offset, long value) {
        if (aligned(segment, offset, 8)) {
            U64.setRelease(segment, offset, value);
            return;
        }
        VarHandle.releaseFence();
        segment.set(WireLayouts.LE_U64, offset, value);
    }
}
