package io.rptun.core.memory;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The little-endian, byte-aligned value layouts that every wire structure is built from.
 *
 * <p>OpenAMP and NuttX structures are {@code __packed}: a {@code uint32_t} may start at any byte, so
 * these layouts have an alignment of 1. All integers on the wire are little-endian whatever the host.
 * Unsigned values come back in the next wider Java type where a caller needs the full range
 * ({@link #u32(int)}).
 */
public final class WireLayouts {
    /** {@code uint8_t}. */
    public static final ValueLayout.OfByte LE_U8 = ValueLayout.JAVA_BYTE;
    /** {@code uint16_t}, little-endian, packed. */
    public static final ValueLayout.OfShort LE_U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code uint32_t}, little-endian, packed. */
    public static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code uint64_t}, little-endian, packed. */
    public static final ValueLayout.OfLong LE_U64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The largest value a {@code uint32_t} holds. */
    public static final long U32_MAX = 0xFFFF_FFFFL;

    private WireLayouts() {
    }

    /** The unsigned value of a {@code uint32_t} held in an int. */
    public static long u32(int raw) {
        return Integer.toUnsignedLong(raw);
    }

    /** The unsigned value of a {@code uint16_t} held in a short. */
    public static int u16(short raw) {
        return Short.toUnsignedInt(raw);
    }

    /** The unsigned value of a {@code uint8_t} held in a byte. */
    public static int u8(byte raw) {
        return Byte.toUnsignedInt(raw);
    }

    /** {@code align_up(value, align)} for a power-of-two {@code align}. */
    public static long alignUp(long value, long align) {
        if (align <= 0 || (align & (align - 1)) != 0) {
            throw new IllegalArgumentException("align=" + align);
        }
        return Math.addExact(value, align - 1) & -align;
    }

    /** True when {@code value} is a power of two (1, 2, 4, ...). */
    public static boolean isPowerOfTwo(long value) {
        return value > 0 && (value & (value - 1)) == 0;
    }
}
