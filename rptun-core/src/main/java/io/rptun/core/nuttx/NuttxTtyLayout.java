package io.rptun.core.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * NuttX's {@code rpmsg-tty} messages ({@code drivers/serial/uart_rpmsg.c}, packed, little-endian):
 * {@code struct uart_rpmsg_header_s}, and {@code struct uart_rpmsg_write_s} built on it.
 *
 * <pre>
 * +-+-------------------------------------------------------------+
 * |R|  command (bits 0..30): WRITE 0, WAKEUP 1                     |  0   R = response (bit 31)
 * +-+-------------------------------------------------------------+
 * |  result (i32): WRITE sends -ENXIO; its response: bytes taken   |  4
 * +---------------------------------------------------------------+
 * |  cookie (u64): the writer's, returned unchanged                |  8
 * |                                                               |
 * +---------------------------------------------------------------+  WAKEUP ends here (16 bytes)
 * |  count (u32): data bytes of the WRITE                         | 16
 * +---------------------------------------------------------------+
 * |  resolved (u32): written 0, never read                        | 20
 * +---------------------------------------------------------------+
 * |  data: count bytes (none in the response)                     | 24
 * +---------------------------------------------------------------+
 * </pre>
 *
 * Writer: the sender while it holds the TX buffer; reader: the receiver inside its callback. Every field is
 * untrusted: {@code count} is believed only up to the message's real length, {@code result} only up to the
 * count in flight.
 */
public final class NuttxTtyLayout {
    /** {@code UART_RPMSG_TTY_WRITE}. */
    public static final int WRITE = 0;
    /** {@code UART_RPMSG_TTY_WAKEUP}: the receiver has room again; send. */
    public static final int WAKEUP = 1;
    /** The response bit of the first word. */
    public static final int RESPONSE_BIT = 0x8000_0000;
    /** The command bits of the first word. */
    public static final int COMMAND_MASK = 0x7FFF_FFFF;
    /** {@code -ENXIO}: what a WRITE carries in {@code result} until the receiver answers. */
    public static final int ENXIO = -6;

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            LE_U32.withName("command_response"),
            LE_U32.withName("result"),
            LE_U64.withName("cookie"));
    public static final StructLayout WRITE_LAYOUT = MemoryLayout.structLayout(
            HEADER.withName("header"),
            LE_U32.withName("count"),
            LE_U32.withName("resolved"));

    public static final long COMMAND_OFFSET = HEADER.byteOffset(groupElement("command_response"));
    public static final long RESULT_OFFSET = HEADER.byteOffset(groupElement("result"));
    public static final long COOKIE_OFFSET = HEADER.byteOffset(groupElement("cookie"));
    /** 16: a WAKEUP. */
    public static final int HEADER_SIZE = (int) HEADER.byteSize();
    public static final long COUNT_OFFSET = WRITE_LAYOUT.byteOffset(groupElement("count"));
    public static final long RESOLVED_OFFSET = WRITE_LAYOUT.byteOffset(groupElement("resolved"));
    /** 24: a WRITE's data offset, and the size of its response. */
    public static final int WRITE_SIZE = (int) WRITE_LAYOUT.byteSize();

    private NuttxTtyLayout() {
    }

    /** The command bits. */
    public static int command(MemorySegment msg) {
        return msg.get(LE_U32, COMMAND_OFFSET) & COMMAND_MASK;
    }

    /** The response bit. */
    public static boolean response(MemorySegment msg) {
        return (msg.get(LE_U32, COMMAND_OFFSET) & RESPONSE_BIT) != 0;
    }

    /** {@code result}. */
    public static int result(MemorySegment msg) {
        return msg.get(LE_U32, RESULT_OFFSET);
    }

    /** {@code cookie}. */
    public static long cookie(MemorySegment msg) {
        return msg.get(LE_U64, COOKIE_OFFSET);
    }

    /** A WRITE's {@code count}, an int holding a u32. */
    public static int count(MemorySegment msg) {
        return msg.get(LE_U32, COUNT_OFFSET);
    }

    /** Writes a header. */
    public static void writeHeader(MemorySegment msg, int command, boolean response, int result, long cookie) {
        msg.set(LE_U32, COMMAND_OFFSET, (command & COMMAND_MASK) | (response ? RESPONSE_BIT : 0));
        msg.set(LE_U32, RESULT_OFFSET, result);
        msg.set(LE_U64, COOKIE_OFFSET, cookie);
    }

    /** Writes a WRITE's (or its response's) header, count and resolved 0; the data follows at {@link #WRITE_SIZE}. */
    public static void writeWrite(MemorySegment msg, boolean response, int result, long cookie, int count) {
        writeHeader(msg, WRITE, response, result, cookie);
        msg.set(LE_U32, COUNT_OFFSET, count);
        msg.set(LE_U32, RESOLVED_OFFSET, 0);
    }
}
