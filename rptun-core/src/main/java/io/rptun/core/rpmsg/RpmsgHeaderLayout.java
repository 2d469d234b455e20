package io.rptun.core.rpmsg;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct rpmsg_hdr} (16 bytes), at the start of every rpmsg buffer; the payload follows at
 * {@link #SIZE}.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                          src (u32)                            |  0
 * +---------------------------------------------------------------+
 * |                          dst (u32)                            |  4
 * +---------------------------------------------------------------+
 * |               reserved (u32, written 0, never read)           |  8
 * +-------------------------------+-------------------------------+
 * |    len (u16, payload bytes)   |         flags (u16)           | 12
 * +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>Writer: the sender, while it holds the buffer. Reader: the receiver, after the ring index that
 * hands the buffer over (release/acquire) made the bytes visible, so plain accesses suffice. Every
 * field is untrusted on read: {@code len} is checked against the buffer before the payload is touched,
 * and {@code reserved} is never looked at.
 */
public final class RpmsgHeaderLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("src"),
            LE_U32.withName("dst"),
            LE_U32.withName("reserved"),
            LE_U16.withName("len"),
            LE_U16.withName("flags"));

    public static final long SRC_OFFSET = LAYOUT.byteOffset(groupElement("src"));
    public static final long DST_OFFSET = LAYOUT.byteOffset(groupElement("dst"));
    public static final long RESERVED_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    /** 16: the header's size and the payload's offset in the buffer. */
    public static final int SIZE = (int) LAYOUT.byteSize();
    /** The largest {@code len} a u16 holds. */
    public static final int MAX_LEN = 0xFFFF;

    private RpmsgHeaderLayout() {
    }

    /** {@code src}, as an int holding a u32. */
    public static int src(MemorySegment buffer) {
        return buffer.get(LE_U32, SRC_OFFSET);
    }

    /** {@code dst}, as an int holding a u32. */
    public static int dst(MemorySegment buffer) {
        return buffer.get(LE_U32, DST_OFFSET);
    }

    /** {@code len}, unsigned. */
    public static int len(MemorySegment buffer) {
        return Short.toUnsignedInt(buffer.get(LE_U16, LEN_OFFSET));
    }

    /** {@code flags}, unsigned. */
    public static int flags(MemorySegment buffer) {
        return Short.toUnsignedInt(buffer.get(LE_U16, FLAGS_OFFSET));
    }

    /** Writes the whole header: {@code reserved} and {@code flags} are 0. */
    public static void write(MemorySegment buffer, int src, int dst, int len) {
        if (len < 0 || len > MAX_LEN) {
            throw new IllegalArgumentException("len=" + len);
        }
        // Two little-endian 8-byte stores instead of five: src and dst, then reserved (0), len and flags (0).
        // The same bytes as the five field stores; half the bounds and session checks on the send path.
        buffer.set(LE_U64, SRC_OFFSET, (src & 0xFFFF_FFFFL) | ((long) dst << 32));
        buffer.set(LE_U64, RESERVED_OFFSET, (long) len << 32);
    }
}
