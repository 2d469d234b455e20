package io.rptun.core.rpmsg;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct rpmsg_ns_msg} (40 bytes), the payload of every name-service message, sent to
 * {@link RpmsgAddresses#NS_ADDR}. A message of any other length to that address is dropped.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                   name[32] (NUL-terminated)                   |  0
 * |                              ...                              |
 * +---------------------------------------------------------------+
 * |                    addr (u32, the endpoint)                   | 32
 * +---------------------------------------------------------------+
 * |     flags (u32: CREATE 0, DESTROY 1, NuttX CREATE_ACK 2)      | 36
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Writer and reader as for {@link RpmsgHeaderLayout}: plain accesses, published by the ring index;
 * untrusted on read (the name may lack its NUL: it then ends at 32 bytes).
 */
public final class RpmsgNsMessageLayout {
    /** {@code RPMSG_NAME_SIZE}. */
    public static final int NAME_SIZE = 32;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(NAME_SIZE, ValueLayout.JAVA_BYTE).withName("name"),
            LE_U32.withName("addr"),
            LE_U32.withName("flags"));

    public static final long NAME_OFFSET = LAYOUT.byteOffset(groupElement("name"));
    public static final long ADDR_OFFSET = LAYOUT.byteOffset(groupElement("addr"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    /** 40. */
    public static final int SIZE = (int) LAYOUT.byteSize();

    /** {@code RPMSG_NS_CREATE}: a service appeared at {@code addr}. */
    public static final int CREATE = 0;
    /** {@code RPMSG_NS_DESTROY}: the service at {@code addr} is gone. */
    public static final int DESTROY = 1;
    /** NuttX's {@code RPMSG_NS_CREATE_ACK} (feature F_ACK): the announced service was bound at {@code addr}. */
    public static final int CREATE_ACK = 2;

    private RpmsgNsMessageLayout() {
    }

    /** The name: the bytes before the first NUL, at most 32, decoded as UTF-8. */
    public static String name(MemorySegment message) {
        int end = 0;
        while (end < NAME_SIZE && message.get(ValueLayout.JAVA_BYTE, NAME_OFFSET + end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end];
        MemorySegment.copy(message, ValueLayout.JAVA_BYTE, NAME_OFFSET, bytes, 0, end);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** {@code addr}, as an int holding a u32. */
    public static int addr(MemorySegment message) {
        return message.get(LE_U32, ADDR_OFFSET);
    }

    /** {@code flags}, as an int holding a u32. */
    public static int flags(MemorySegment message) {
        return message.get(LE_U32, FLAGS_OFFSET);
    }

    /**
     * Writes the whole message: the name's UTF-8 bytes, NUL-padded to 32 (so at most 31 bytes), the
     * address and the flags.
     *
     * @throws IllegalArgumentException if the name is longer than 31 bytes
     */
    public static void write(MemorySegment message, String name, int addr, int flags) {
        byte[] bytes = nameBytes(name);
        message.asSlice(NAME_OFFSET, NAME_SIZE).fill((byte) 0);
        MemorySegment.copy(bytes, 0, message, ValueLayout.JAVA_BYTE, NAME_OFFSET, bytes.length);
        message.set(LE_U32, ADDR_OFFSET, addr);
        message.set(LE_U32, FLAGS_OFFSET, flags);
    }

    /**
     * The name's UTF-8 bytes, checked to fit with its NUL.
     *
     * @throws IllegalArgumentException if longer than 31 bytes or holding a NUL
     */
    public static byte[] nameBytes(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= NAME_SIZE) {
            throw new IllegalArgumentException("name \"" + name + "\" is " + bytes.length
                    + " bytes in UTF-8; an rpmsg name holds at most " + (NAME_SIZE - 1));
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("name \"" + name + "\" holds a NUL");
            }
        }
        return bytes;
    }
}
