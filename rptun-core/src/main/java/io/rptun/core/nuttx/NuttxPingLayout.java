package io.rptun.core.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * NuttX's {@code struct rpmsg_ping_msg_s} ({@code drivers/rpmsg/rpmsg_ping.c}, packed, little-endian): the
 * whole rpmsg payload of a ping request or response.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |  cmd (u32): flags ACK 0x1, CHECK 0x2, RANDOMLEN 0x4,          |  0
 * |             command (mask 0xF0) REQ 0x00 / RSP 0x20           |
 * +---------------------------------------------------------------+
 * |  len (u32): the message's length, header included            |  4
 * +---------------------------------------------------------------+
 * |  cookie (u64): the requester's, returned unchanged            |  8
 * |                                                               |
 * +---------------+-----------------------------------------------+
 * | data[0] (u8)  | data[1..len-17]: all equal data[0] when CHECK | 16
 * +---------------+-----------------------------------------------+
 * </pre>
 *
 * The C struct ends in {@code data[1]}: its size, and so the smallest ping, is {@link #MIN_SIZE} = 17.
 * Writer: the sender while it holds the TX buffer; reader: the receiver inside its callback (the ring's
 * release/acquire made the bytes visible). Every field is untrusted on read.
 */
public final class NuttxPingLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("cmd"),
            LE_U32.withName("len"),
            LE_U64.withName("cookie"),
            LE_U8.withName("data0"));

    public static final long CMD_OFFSET = LAYOUT.byteOffset(groupElement("cmd"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    public static final long COOKIE_OFFSET = LAYOUT.byteOffset(groupElement("cookie"));
    public static final long DATA_OFFSET = LAYOUT.byteOffset(groupElement("data0"));
    /** 17: {@code sizeof(struct rpmsg_ping_msg_s)}, the smallest ping. */
    public static final int MIN_SIZE = (int) LAYOUT.byteSize();

    private NuttxPingLayout() {
    }

    /** {@code cmd}. */
    public static int cmd(MemorySegment msg) {
        return msg.get(LE_U32, CMD_OFFSET);
    }

    /** {@code len}, an int holding a u32. */
    public static int len(MemorySegment msg) {
        return msg.get(LE_U32, LEN_OFFSET);
    }

    /** {@code cookie}. */
    public static long cookie(MemorySegment msg) {
        return msg.get(LE_U64, COOKIE_OFFSET);
    }

    /**
     * Writes a whole ping of {@code length} bytes ({@link #MIN_SIZE} up to {@code msg}'s size): the header,
     * then every data byte set to {@code fill}.
     */
    public static void write(MemorySegment msg, int cmd, int length, long cookie, byte fill) {
        if (length < MIN_SIZE || length > msg.byteSize()) {
            throw new IllegalArgumentException("length=" + length + ", buffer=" + msg.byteSize());
        }
        msg.set(LE_U32, CMD_OFFSET, cmd);
        msg.set(LE_U32, LEN_OFFSET, length);
        msg.set(LE_U64, COOKIE_OFFSET, cookie);
        msg.asSlice(DATA_OFFSET, length - DATA_OFFSET).fill(fill);
    }

    /**
     * The index (from 0) of the first data byte of the {@code length}-byte message that differs from
     * {@code data[0]}, or -1 when all are equal: NuttX's CHECK.
     */
    public static int firstFillMismatch(MemorySegment msg, int length) {
        byte first = msg.get(LE_U8, DATA_OFFSET);
        for (long i = DATA_OFFSET + 1; i < length; i++) {
            if (msg.get(LE_U8, i) != first) {
                return (int) (i - DATA_OFFSET);
            }
        }
        return -1;
    }
}
