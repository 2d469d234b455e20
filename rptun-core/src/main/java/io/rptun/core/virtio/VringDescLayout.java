package io.rptun.core.virtio;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct vring_desc} (16 bytes), one entry of the descriptor table.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                       addr (u64, a da)                        |  0
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                          len (u32)                            |  8
 * +-------------------------------+-------------------------------+
 * |   flags (NEXT 1 | WRITE 2 |   |          next (u16)           | 12
 * |          INDIRECT 4)          |                               |
 * +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>Writer: the driver, while it owns the descriptor (it is free, or between adding it and publishing
 * {@code avail.idx}). Reader: the device, after its acquire load of {@code avail.idx} has seen the
 * avail entry that names it. So plain accesses suffice: the release/acquire pair on {@code avail.idx}
 * orders them. The device must treat every field as untrusted ({@link VirtqueueDevice}).
 */
public final class VringDescLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U64.withName("addr"),
            LE_U32.withName("len"),
            LE_U16.withName("flags"),
            LE_U16.withName("next"));

    public static final long ADDR_OFFSET = LAYOUT.byteOffset(groupElement("addr"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    public static final long NEXT_OFFSET = LAYOUT.byteOffset(groupElement("next"));
    public static final long SIZE = LAYOUT.byteSize();

    /** {@code VRING_DESC_F_NEXT}: the chain continues at {@code next}. */
    public static final int F_NEXT = 1;
    /** {@code VRING_DESC_F_WRITE}: the device writes this buffer (else it only reads it). */
    public static final int F_WRITE = 2;
    /** {@code VRING_DESC_F_INDIRECT}: the buffer holds a table of descriptors (never negotiated here). */
    public static final int F_INDIRECT = 4;

    private VringDescLayout() {
    }

    /** {@code addr} of the descriptor at byte {@code desc} of {@code vring}. */
    public static long addr(MemorySegment vring, long desc) {
        return vring.get(LE_U64, desc + ADDR_OFFSET);
    }

    /** {@code len}, as an int holding a u32. */
    public static int len(MemorySegment vring, long desc) {
        return vring.get(LE_U32, desc + LEN_OFFSET);
    }

    /** {@code flags}, unsigned. */
    public static int flags(MemorySegment vring, long desc) {
        return Short.toUnsignedInt(vring.get(LE_U16, desc + FLAGS_OFFSET));
    }

    /** {@code next}, unsigned. */
    public static int next(MemorySegment vring, long desc) {
        return Short.toUnsignedInt(vring.get(LE_U16, desc + NEXT_OFFSET));
    }

    /** Writes all four fields (plain: {@code avail.idx}'s release store publishes them). */
    public static void write(MemorySegment vring, long desc, long addr, int len, int flags, int next) {
        vring.set(LE_U64, desc + ADDR_OFFSET, addr);
        vring.set(LE_U32, desc + LEN_OFFSET, len);
        vring.set(LE_U16, desc + FLAGS_OFFSET, (short) flags);
        vring.set(LE_U16, desc + NEXT_OFFSET, (short) next);
    }
}
