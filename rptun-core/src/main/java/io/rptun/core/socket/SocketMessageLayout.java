package io.rptun.core.socket;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * The three messages of NuttX's rpmsg sockets ({@code net/rpmsg/rpmsg_sockif.c}), one per rpmsg payload,
 * packed and little-endian. Every message starts with {@code cmd}.
 *
 * <pre>
 * struct rpmsg_socket_sync_s (SYNC, 20 bytes): sent by each side once its endpoint is bound
 * +---------------------------------------------------------------+
 * |                         cmd = 1 (u32)                         |  0
 * +---------------------------------------------------------------+
 * |          size (u32): the sender's receive buffer, bytes       |  4
 * +---------------------------------------------------------------+
 * |                          pid (u32)                            |  8
 * +---------------------------------------------------------------+
 * |                          uid (u32)                            | 12
 * +---------------------------------------------------------------+
 * |                          gid (u32)                            | 16
 * +---------------------------------------------------------------+
 *
 * struct rpmsg_socket_data_s (DATA, 12-byte header + body)
 * +---------------------------------------------------------------+
 * |                         cmd = 2 (u32)                         |  0
 * +---------------------------------------------------------------+
 * |    pos (u32): bytes the sender has consumed so far (an ack)   |  4
 * +---------------------------------------------------------------+
 * |            len (u32): data bytes, without any prefix          |  8
 * +---------------------------------------------------------------+
 * | stream: len data bytes                                        | 12
 * | datagram: len again (u32), then len data bytes                |
 * | an acknowledgement alone: nothing (len = 0)                   |
 * +---------------------------------------------------------------+
 *
 * struct rpmsg_socket_shutdown_s (SHUTDOWN, 8 bytes)
 * +---------------------------------------------------------------+
 * |                         cmd = 3 (u32)                         |  0
 * +---------------------------------------------------------------+
 * |      how (u32): SHUT_RD 1 | SHUT_WR 2, as the sender shut      |  4
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Writer: the sending socket, in a TX buffer it holds. Reader: the receiving socket, inside the endpoint
 * callback, before the RX buffer goes back. Every field is untrusted: {@link RpmsgSocket} checks each
 * length against the message and each position against its own counters.
 */
public final class SocketMessageLayout {
    /** {@code RPMSG_SOCKET_CMD_SYNC}. */
    public static final int CMD_SYNC = 1;
    /** {@code RPMSG_SOCKET_CMD_DATA}. */
    public static final int CMD_DATA = 2;
    /** {@code RPMSG_SOCKET_CMD_SHUTDOWN}. */
    public static final int CMD_SHUTDOWN = 3;
    /** {@code SHUT_RD}: the sender reads no more. */
    public static final int SHUT_RD = 1;
    /** {@code SHUT_WR}: the sender writes no more. */
    public static final int SHUT_WR = 2;

    public static final StructLayout SYNC = MemoryLayout.structLayout(
            LE_U32.withName("cmd"),
            LE_U32.withName("size"),
            LE_U32.withName("pid"),
            LE_U32.withName("uid"),
            LE_U32.withName("gid"));

    public static final StructLayout DATA = MemoryLayout.structLayout(
            LE_U32.withName("cmd"),
            LE_U32.withName("pos"),
            LE_U32.withName("len"));

    public static final StructLayout SHUTDOWN = MemoryLayout.structLayout(
            LE_U32.withName("cmd"),
            LE_U32.withName("how"));

    public static final long CMD_OFFSET = 0;
    public static final long SYNC_SIZE_OFFSET = SYNC.byteOffset(groupElement("size"));
    public static final long SYNC_PID_OFFSET = SYNC.byteOffset(groupElement("pid"));
    public static final long SYNC_UID_OFFSET = SYNC.byteOffset(groupElement("uid"));
    public static final long SYNC_GID_OFFSET = SYNC.byteOffset(groupElement("gid"));
    public static final long DATA_POS_OFFSET = DATA.byteOffset(groupElement("pos"));
    public static final long DATA_LEN_OFFSET = DATA.byteOffset(groupElement("len"));
    public static final long SHUTDOWN_HOW_OFFSET = SHUTDOWN.byteOffset(groupElement("how"));

    /** 20. */
    public static final int SYNC_BYTES = (int) SYNC.byteSize();
    /** 12: the DATA header, where a stream's data (or a datagram's length prefix) starts. */
    public static final int DATA_HEADER_BYTES = (int) DATA.byteSize();
    /** 8. */
    public static final int SHUTDOWN_BYTES = (int) SHUTDOWN.byteSize();
    /** 4: the u32 length in front of a datagram's bytes. */
    public static final int DATAGRAM_PREFIX_BYTES = 4;

    private SocketMessageLayout() {
    }

    /** {@code cmd}; the caller has checked that at least 4 bytes are there. */
    public static int cmd(MemorySegment msg) {
        return msg.get(LE_U32, CMD_OFFSET);
    }

    /** Writes a SYNC into the first {@link #SYNC_BYTES} of {@code msg}. */
    public static void writeSync(MemorySegment msg, int size, int pid, int uid, int gid) {
        msg.set(LE_U32, CMD_OFFSET, CMD_SYNC);
        msg.set(LE_U32, SYNC_SIZE_OFFSET, size);
        msg.set(LE_U32, SYNC_PID_OFFSET, pid);
        msg.set(LE_U32, SYNC_UID_OFFSET, uid);
        msg.set(LE_U32, SYNC_GID_OFFSET, gid);
    }

    public static int syncSize(MemorySegment msg) {
        return msg.get(LE_U32, SYNC_SIZE_OFFSET);
    }

    public static int syncPid(MemorySegment msg) {
        return msg.get(LE_U32, SYNC_PID_OFFSET);
    }

    public static int syncUid(MemorySegment msg) {
        return msg.get(LE_U32, SYNC_UID_OFFSET);
    }

    public static int syncGid(MemorySegment msg) {
        return msg.get(LE_U32, SYNC_GID_OFFSET);
    }

    /** Writes a DATA header (the body is the caller's). */
    public static void writeDataHeader(MemorySegment msg, int pos, int len) {
        msg.set(LE_U32, CMD_OFFSET, CMD_DATA);
        msg.set(LE_U32, DATA_POS_OFFSET, pos);
        msg.set(LE_U32, DATA_LEN_OFFSET, len);
    }

    public static int dataPos(MemorySegment msg) {
        return msg.get(LE_U32, DATA_POS_OFFSET);
    }

    /** {@code len}, as an int holding a u32. */
    public static int dataLen(MemorySegment msg) {
        return msg.get(LE_U32, DATA_LEN_OFFSET);
    }

    /** A datagram's length prefix (at {@link #DATA_HEADER_BYTES}). */
    public static int datagramPrefix(MemorySegment msg) {
        return msg.get(LE_U32, DATA_HEADER_BYTES);
    }

    /** Writes a SHUTDOWN. */
    public static void writeShutdown(MemorySegment msg, int how) {
        msg.set(LE_U32, CMD_OFFSET, CMD_SHUTDOWN);
        msg.set(LE_U32, SHUTDOWN_HOW_OFFSET, how);
    }

    public static int shutdownHow(MemorySegment msg) {
        return msg.get(LE_U32, SHUTDOWN_HOW_OFFSET);
    }
}
