package io.rptun.core.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * NuttX's {@code rpmsg-syslog} messages ({@code drivers/syslog/syslog_rpmsg.h}, packed, little-endian):
 * {@code struct syslog_rpmsg_header_s} and the two messages built on it.
 *
 * <pre>
 * header (8 bytes), every message:      transfer (TRANSFER 0):          sync (SYNC 3):
 * +------------------------------+      +----------------------------+  +----------------------------+
 * | command (u32)                | 0    | header                     |  | header                     | 0
 * +------------------------------+      +----------------------------+  +----------------------------+
 * | result (i32, 0 in practice)  | 4    | count (i32)                | 8| cookie (u64), echoed back  | 8
 * +------------------------------+      +----------------------------+  |                            |
 *                                       | data: count log bytes      |12+----------------------------+
 *                                       +----------------------------+
 * SUSPEND 1 and RESUME 2 are a header alone.
 * </pre>
 *
 * Writer: the sender while it holds the TX buffer; reader: the receiver inside its callback. Every field is
 * untrusted: {@code count} is believed only up to the message's real length.
 */
public final class NuttxSyslogLayout {
    /** {@code SYSLOG_RPMSG_TRANSFER}: log bytes, client to server. */
    public static final int TRANSFER = 0;
    /** {@code SYSLOG_RPMSG_SUSPEND}: the client stops sending until RESUME. */
    public static final int SUSPEND = 1;
    /** {@code SYSLOG_RPMSG_RESUME}: the client sends again. */
    public static final int RESUME = 2;
    /** {@code SYSLOG_RPMSG_SYNC}: the client sends all it has, then echoes the message back. */
    public static final int SYNC = 3;

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            LE_U32.withName("command"),
            LE_U32.withName("result"));
    public static final StructLayout TRANSFER_LAYOUT = MemoryLayout.structLayout(
            HEADER.withName("header"),
            LE_U32.withName("count"));
    public static final StructLayout SYNC_LAYOUT = MemoryLayout.structLayout(
            HEADER.withName("header"),
            LE_U64.withName("cookie"));

    public static final long COMMAND_OFFSET = HEADER.byteOffset(groupElement("command"));
    public static final long RESULT_OFFSET = HEADER.byteOffset(groupElement("result"));
    /** 8. */
    public static final int HEADER_SIZE = (int) HEADER.byteSize();
    public static final long COUNT_OFFSET = TRANSFER_LAYOUT.byteOffset(groupElement("count"));
    /** 12: where a transfer's data starts. */
    public static final int TRANSFER_SIZE = (int) TRANSFER_LAYOUT.byteSize();
    public static final long COOKIE_OFFSET = SYNC_LAYOUT.byteOffset(groupElement("cookie"));
    /** 16. */
    public static final int SYNC_SIZE = (int) SYNC_LAYOUT.byteSize();

    private NuttxSyslogLayout() {
    }

    /** {@code command}. */
    public static int command(MemorySegment msg) {
        return msg.get(LE_U32, COMMAND_OFFSET);
    }

    /** A transfer's {@code count}, signed as in C. */
    public static int count(MemorySegment msg) {
        return msg.get(LE_U32, COUNT_OFFSET);
    }

    /** A sync's {@code cookie}. */
    public static long cookie(MemorySegment msg) {
        return msg.get(LE_U64, COOKIE_OFFSET);
    }

    /** Writes a header with {@code result} 0. */
    public static void writeHeader(MemorySegment msg, int command) {
        msg.set(LE_U32, COMMAND_OFFSET, command);
        msg.set(LE_U32, RESULT_OFFSET, 0);
    }

    /** Writes a transfer's header and count (the data follows at {@link #TRANSFER_SIZE}). */
    public static void writeTransfer(MemorySegment msg, int count) {
        writeHeader(msg, TRANSFER);
        msg.set(LE_U32, COUNT_OFFSET, count);
    }

    /** Writes a whole sync. */
    public static void writeSync(MemorySegment msg, long cookie) {
        writeHeader(msg, SYNC);
        msg.set(LE_U64, COOKIE_OFFSET, cookie);
    }
}
