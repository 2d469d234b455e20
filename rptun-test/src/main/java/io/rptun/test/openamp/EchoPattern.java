package io.rptun.test.openamp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The payload of echo number {@code seq} of {@code size} bytes (17 to 496), so that every echo can be
 * checked byte for byte: the sequence number as a little-endian u64, then byte {@code i} = {@code seq + i}.
 * The first u32 never equals OpenAMP's shutdown magic for the counts used here (below 2^31).
 */
public final class EchoPattern {
    /** The smallest payload of OpenAMP's flood test (and NuttX's ping). */
    public static final int MIN_SIZE = 17;
    /** The largest payload of a 512-byte buffer. */
    public static final int MAX_SIZE = 496;

    private static final ValueLayout.OfLong LE_U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);

    private EchoPattern() {
    }

    /** Writes the payload at {@code offset} of {@code to}. */
    public static void fill(MemorySegment to, long offset, long seq, int size) {
        to.set(LE_U64, offset, seq);
        for (int i = 8; i < size; i++) {
            to.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (seq + i));
        }
    }

    /** A fresh array holding the payload. */
    public static byte[] bytes(long seq, int size) {
        byte[] b = new byte[size];
        fill(MemorySegment.ofArray(b), 0, seq, size);
        return b;
    }

    /** True if the {@code length} bytes at {@code offset} of {@code from} are exactly echo {@code seq} of {@code size}. */
    public static boolean matches(MemorySegment from, long offset, int length, long seq, int size) {
        if (length != size || from.get(LE_U64, offset) != seq) {
            return false;
        }
        for (int i = 8; i < size; i++) {
            if (from.get(ValueLayout.JAVA_BYTE, offset + i) != (byte) (seq + i)) {
                return false;
            }
        }
        return true;
    }

    /** The sequence number the payload carries (for a message saying what came instead). */
    public static long seqOf(MemorySegment from, long offset, int length) {
        return length >= 8 ? from.get(LE_U64, offset) : -1;
    }
}
