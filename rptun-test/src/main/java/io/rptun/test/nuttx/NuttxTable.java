package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.FwRscCarveoutLayout;
import io.rptun.core.rsc.FwRscConfigLayout;
import io.rptun.core.rsc.FwRscHdrLayout;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import io.rptun.core.rsc.ResourceTableLayout;
import io.rptun.core.virtio.VringLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct sim_rptun_rsc_s}, the six-entry table NuttX's simulator master writes at file offset
 * 0x18 ({@code sim_rptun_get_resource}), and OpenAMP's table walking ({@code find_rsc}, notify-id
 * assignment in {@code handle_vdev_rsc}). Every offset here is a file offset unless it says "relative".
 *
 * <pre>
 * 0x18     resource_table {ver 1, num 6, reserved = mailbox}, offset[6] (relative to 0x18):
 *          40, 88, 65680, 65728, 131320, 131452
 * 0x40     vdev ENTROPY (4), 1 vring          0x70     carveout "rng0_shm", da 0xA8, len 0x10000
 * 0x100A8  vdev ENTROPY (4), 1 vring          0x100D8  carveout "rng1_shm", da 0x10110, len 0x10000
 * 0x20110  vdev RPMSG (7), 2 vrings, config_len 64; fw_rsc_config at 0x20154
 * 0x20194  carveout "rpmsg0_shm", da 0x201CC, len 0x10000 (to 0x301CC; the struct is padded to 0x301D0)
 * </pre>
 */
public final class NuttxTable {
    public static final int VIRTIO_ID_ENTROPY = 4;
    public static final int VIRTIO_ID_RPMSG = 7;
    /** {@code SIM_RPTUN_RSC_NUM}. */
    public static final int NUM = 6;
    /** {@code offset[]} as NuttX's compiler lays the struct out, relative to the table. */
    public static final int[] RELATIVE_OFFSETS = {40, 88, 65680, 65728, 131320, 131452};
    public static final long RNG0_VDEV = 0x40;
    public static final long RNG0_CARVEOUT = 0x70;
    public static final long RNG0_SHM = 0xA8;
    public static final long RNG1_VDEV = 0x100A8;
    public static final long RNG1_CARVEOUT = 0x100D8;
    public static final long RNG1_SHM = 0x10110;
    public static final long RPMSG_VDEV = 0x20110;
    public static final long RPMSG_CONFIG = 0x20154;
    public static final long RPMSG_CARVEOUT = 0x20194;
    public static final long RPMSG_SHM = 0x201CC;
    /** {@code SIM_RPTUN_SHMEM_SIZE}: each carveout's length. */
    public static final int SHMEM_SIZE = 0x10000;
    /** Every vring of the table: 8 descriptors, used ring aligned on 8 bytes. */
    public static final int VRING_NUM = 8;
    public static final int VRING_ALIGN = 8;
    /** {@code fw_rsc_config} h2r_buf_size and r2h_buf_size. */
    public static final int BUFFER_SIZE = 0x600;
    /** {@code VIRTIO_RPMSG_F_NS | F_ACK | F_BUFSZ | F_CPUNAME}. */
    public static final int RPMSG_DFEATURES = 0xF;
    public static final int F_NS = 1;
    public static final int F_ACK = 1 << 1;
    public static final int F_BUFSZ = 1 << 2;
    public static final int F_CPUNAME = 1 << 3;
    /** {@code RPMSG_VIRTIO_FEATURES}: what NuttX's rpmsg driver asks for (NS, ACK, BUFSZ, CPUNAME, BUFADDR). */
    public static final int RPMSG_WANTED_FEATURES = 0x1F;
    /** {@code FW_RSC_U32_ADDR_ANY} = {@code RSC_NOTIFY_ID_ANY}. */
    public static final int ANY = 0xFFFF_FFFF;
    /** {@code VIRTIO_DEV_DRIVER}, in {@code fw_rsc_vdev.reserved[0]}. */
    public static final int ROLE_DRIVER = 0;
    /** The three vdevs in table order. */
    public static final long[] VDEVS = {RNG0_VDEV, RNG1_VDEV, RPMSG_VDEV};
    /** The carveout paired with each vdev ({@code find_rsc(RSC_CARVEOUT, index)}). */
    public static final long[] CARVEOUTS = {RNG0_CARVEOUT, RNG1_CARVEOUT, RPMSG_CARVEOUT};

    private NuttxTable() {
    }

    /**
     * Writes the table exactly as {@code sim_rptun_get_resource} does on the master: the whole
     * {@code struct sim_rptun_rsc_s} zeroed first, then each field. Vring das stay 0 and notify ids ANY
     * until {@link #assignNotifyIds} and the master's vring placement write them back.
     */
    public static void writeServerTable(MemorySegment file) {
        file.asSlice(NuttxSimFile.TABLE_OFFSET, NuttxSimFile.SIZE - NuttxSimFile.TABLE_OFFSET).fill((byte) 0);
        long t = NuttxSimFile.TABLE_OFFSET;
        file.set(LE_U32, t + ResourceTableLayout.VER_OFFSET, 1);
        file.set(LE_U32, t + ResourceTableLayout.NUM_OFFSET, NUM);
        for (int i = 0; i < NUM; i++) {
            file.set(LE_U32, t + ResourceTableLayout.offsetSlot(i), RELATIVE_OFFSETS[i]);
        }
        writeVdev(file, RNG0_VDEV, VIRTIO_ID_ENTROPY, 0, 0, 1);
        writeCarveout(file, RNG0_CARVEOUT, RNG0_SHM, "rng0_shm");
        writeVdev(file, RNG1_VDEV, VIRTIO_ID_ENTROPY, 0, 0, 1);
        writeCarveout(file, RNG1_CARVEOUT, RNG1_SHM, "rng1_shm");
        writeVdev(file, RPMSG_VDEV, VIRTIO_ID_RPMSG, RPMSG_DFEATURES, (int) FwRscConfigLayout.SIZE, 2);
        file.set(LE_U32, RPMSG_CONFIG + FwRscConfigLayout.H2R_BUF_SIZE_OFFSET, BUFFER_SIZE);
        file.set(LE_U32, RPMSG_CONFIG + FwRscConfigLayout.R2H_BUF_SIZE_OFFSET, BUFFER_SIZE);
        putName(file, RPMSG_CONFIG + FwRscConfigLayout.HOST_CPUNAME_OFFSET, "server");
        putName(file, RPMSG_CONFIG + FwRscConfigLayout.REMOTE_CPUNAME_OFFSET, "proxy");
        writeCarveout(file, RPMSG_CARVEOUT, RPMSG_SHM, "rpmsg0_shm");
    }

    private static void writeVdev(MemorySegment file, long entry, int id, int dfeatures, int configLen, int vrings) {
        file.set(LE_U32, entry + FwRscVdevLayout.TYPE_OFFSET, FwRscHdrLayout.RSC_VDEV);
        file.set(LE_U32, entry + FwRscVdevLayout.ID_OFFSET, id);
        file.set(LE_U32, entry + FwRscVdevLayout.NOTIFYID_OFFSET, ANY);
        file.set(LE_U32, entry + FwRscVdevLayout.DFEATURES_OFFSET, dfeatures);
        file.set(LE_U32, entry + FwRscVdevLayout.CONFIG_LEN_OFFSET, configLen);
        file.set(LE_U8, entry + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET, (byte) vrings);
        file.set(LE_U8, entry + FwRscVdevLayout.RESERVED0_OFFSET, (byte) ROLE_DRIVER);
        file.set(LE_U8, entry + FwRscVdevLayout.RESERVED1_OFFSET, (byte) 0);
        for (int i = 0; i < vrings; i++) {
            long vring = FwRscVdevLayout.vringOffset(entry, i);
            file.set(LE_U32, vring + FwRscVdevVringLayout.ALIGN_OFFSET, VRING_ALIGN);
            file.set(LE_U32, vring + FwRscVdevVringLayout.NUM_OFFSET, VRING_NUM);
            file.set(LE_U32, vring + FwRscVdevVringLayout.NOTIFYID_OFFSET, ANY);
            file.set(LE_U32, vring + FwRscVdevVringLayout.DA_OFFSET, 0);
        }
    }

    private static void writeCarveout(MemorySegment file, long entry, long da, String name) {
        file.set(LE_U32, entry + FwRscCarveoutLayout.TYPE_OFFSET, FwRscHdrLayout.RSC_CARVEOUT);
        file.set(LE_U32, entry + FwRscCarveoutLayout.DA_OFFSET, (int) da);
        file.set(LE_U32, entry + FwRscCarveoutLayout.PA_OFFSET, ANY);
        file.set(LE_U32, entry + FwRscCarveoutLayout.LEN_OFFSET, SHMEM_SIZE);
        putName(file, entry + FwRscCarveoutLayout.NAME_OFFSET, name);
    }

    private static void putName(MemorySegment file, long offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, file, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    /** A NUL-terminated name of at most {@code max} bytes at {@code offset}. */
    public static String name(MemorySegment file, long offset, int max) {
        int n = 0;
        while (n < max && file.get(ValueLayout.JAVA_BYTE, offset + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, offset, bytes, 0, n);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * OpenAMP's {@code handle_vdev_rsc} on every vdev in table order: a vdev's notify id, then each of its
     * vrings', each ANY replaced by the lowest free id (0, 1, 2, ...), each fixed one reserved. For this
     * table: rng0 0 (vring 1), rng1 2 (vring 3), rpmsg 4 (vrings 5, 6).
     */
    public static void assignNotifyIds(MemorySegment file) {
        long used = 0;
        for (long vdev : VDEVS) {
            used = assign(file, vdev + FwRscVdevLayout.NOTIFYID_OFFSET, used);
            int vrings = Byte.toUnsignedInt(file.get(LE_U8, vdev + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET));
            for (int i = 0; i < vrings; i++) {
                used = assign(file, FwRscVdevLayout.vringOffset(vdev, i) + FwRscVdevVringLayout.NOTIFYID_OFFSET, used);
            }
        }
    }

    private static long assign(MemorySegment file, long at, long used) {
        int id = file.get(LE_U32, at);
        if (id == ANY) {
            id = Long.numberOfTrailingZeros(~used);
            file.set(LE_U32, at, id);
        }
        if (id < 0 || id >= 64) {
            throw new NuttxModelException("notify id " + Integer.toUnsignedString(id) + " at 0x"
                    + Long.toHexString(at) + " is outside OpenAMP's 64-bit bitmap");
        }
        return used | (1L << id);
    }

    /**
     * Where {@code vring_init} puts a vring's three parts when its descriptor table is at file offset
     * {@code da}: the used ring is aligned on the absolute address, {@code align_up(&avail->ring[num] + 2,
     * align)}; both sides map the file page-aligned, so the file offset aligns the same way. For da
     * 0x201CC, num 8, align 8 that is 0x20268, not 0x201CC + align_up(0x96, 8) = 0x20264.
     *
     * @param allotted what the master takes from the carveout for it: {@code ALIGN_UP(vring_size(num,
     *                 align), align)}, where {@code vring_size} aligns relative to the vring's start
     */
    public record VringPlace(long da, int num, int align, long desc, long avail, long used, long allotted) {
        /** The last byte the rings touch (the used ring's avail_event), exclusive. */
        public long end() {
            return used + VringLayout.usedSize(num);
        }
    }

    /** The placement of a vring at {@code da}; checked to lie inside the file. */
    public static VringPlace place(long da, int num, int align) {
        if (!WireLayouts.isPowerOfTwo(num) || num > VringLayout.MAX_NUM) {
            throw new NuttxModelException("vring num " + num + " is not a power of two up to 32768");
        }
        if (!WireLayouts.isPowerOfTwo(align) || align > 4096) {
            throw new NuttxModelException("vring align " + align + " is not a power of two up to 4096");
        }
        long avail = da + VringLayout.availOffset(num);
        long used = WireLayouts.alignUp(avail + VringLayout.availSize(num), align);
        long allotted = WireLayouts.alignUp(VringLayout.byteSize(num, align), align);
        VringPlace place = new VringPlace(da, num, align, da, avail, used, allotted);
        if (da < 0 || place.end() > NuttxSimFile.SIZE) {
            throw new NuttxModelException("vring at da 0x" + Long.toHexString(da) + " (num " + num + ", align "
                    + align + ") does not fit in the " + NuttxSimFile.SIZE + "-byte file");
        }
        return place;
    }

    /** Reads vring {@code index} of the vdev at {@code vdev} from the table and places it (slave side). */
    public static VringPlace placeFromTable(MemorySegment file, long vdev, int index) {
        long vring = FwRscVdevLayout.vringOffset(vdev, index);
        long da = Integer.toUnsignedLong(FwRscVdevVringLayout.daAcquire(file, vring));
        int align = file.get(LE_U32, vring + FwRscVdevVringLayout.ALIGN_OFFSET);
        int num = file.get(LE_U32, vring + FwRscVdevVringLayout.NUM_OFFSET);
        return place(da, num, align);
    }

    /** {@code find_rsc(table, type, index)}: the file offset of the index-th entry of a type, or -1; checked. */
    public static long findRsc(MemorySegment file, int type, int index) {
        long t = NuttxSimFile.TABLE_OFFSET;
        long limit = NuttxSimFile.SIZE - t;
        int ver = file.get(LE_U32, t + ResourceTableLayout.VER_OFFSET);
        long num = Integer.toUnsignedLong(file.get(LE_U32, t + ResourceTableLayout.NUM_OFFSET));
        if (ver != 1 || ResourceTableLayout.sizeWithOffsets(num) > limit) {
            throw new NuttxModelException("not a resource table: ver " + ver + ", num " + num);
        }
        int seen = 0;
        for (int i = 0; i < num; i++) {
            long rel = Integer.toUnsignedLong(file.get(LE_U32, t + ResourceTableLayout.offsetSlot(i)));
            if (rel + FwRscHdrLayout.LAYOUT.byteSize() > limit) {
                throw new NuttxModelException("table entry " + i + " at relative offset " + rel + " is outside the file");
            }
            if (file.get(LE_U32, t + rel) == type && seen++ == index) {
                return t + rel;
            }
        }
        return -1;
    }
}
