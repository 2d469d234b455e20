package io.rptun.sim;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rsc.FwRscCarveoutLayout;
import io.rptun.core.rsc.FwRscConfigLayout;
import io.rptun.core.rsc.FwRscHdrLayout;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import io.rptun.core.rsc.ResourceTableLayout;
import io.rptun.core.rsc.Rsc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * NuttX's simulator transport file ({@code arch/sim/src/sim/sim_rptun.c}: {@code struct sim_rptun_shmem_s}),
 * {@value #FILE_SIZE} bytes at {@code /dev/shm/server-proxy}, shared by the {@code server} (RPTUN master,
 * virtio driver) and the {@code proxy} (slave, virtio device). docs/protocols.md has the whole story.
 *
 * <pre>
 *  offset   size  field
 *  0x00        8  base   the master's own virtual address of the mapping: the "pa" of file offset 0
 *  0x08        4  seqs   notify counter, incremented by the slave
 *  0x0C        4  seqm   notify counter, incremented by the master
 *  0x10        4  boots  slave status bits: BOOT 1, OK 2, NEED_RESET 4
 *  0x14        4  bootm  master status bits, same values
 *  0x18  197,048  the resource table, 6 entries (offsets relative to 0x18):
 *                   40 vdev ENTROPY (1 vring)       88 carveout rng0_shm   (da 0xA8,    len 0x10000)
 *                65680 vdev ENTROPY (1 vring)    65728 carveout rng1_shm   (da 0x10110, len 0x10000)
 *               131320 vdev RPMSG (2 vrings, fw_rsc_config h2r = r2h = 0x600, "server"/"proxy")
 *               131452 carveout rpmsg0_shm (da 0x201CC, len 0x10000)
 * </pre>
 *
 * <h2>Memory model</h2>
 * <ul>
 * <li>{@code base}: writer the master, once, before it sets {@code bootm} BOOT; reader the slave after it saw
 *     {@code bootm} OK. Plain store, published by the release store of {@code bootm}.</li>
 * <li>{@code seqs} / {@code seqm}: writer the slave / the master (atomic increment, volatile); reader the
 *     other side, which polls it (NuttX every 10 ms) and looks at every virtqueue when it changed.</li>
 * <li>{@code boots} / {@code bootm}: written by the slave / master (volatile), and by the other side in the
 *     two places NuttX does ({@code NEED_RESET}); read by both with volatile loads.</li>
 * </ul>
 * Every address in the table is a file offset (da); a descriptor address is a pa, {@code base} + offset.
 */
public final class NuttxSimLayout {
    /** The whole file: {@code sizeof(struct sim_rptun_shmem_s)} on a 64-bit build. */
    public static final long FILE_SIZE = 197_072;
    /** NuttX's default path ({@code host_allocshmem("server-proxy")}). */
    public static final String DEFAULT_PATH = "/dev/shm/server-proxy";
    public static final long BASE_OFFSET = 0x00;
    public static final long SEQS_OFFSET = 0x08;
    public static final long SEQM_OFFSET = 0x0C;
    public static final long BOOTS_OFFSET = 0x10;
    public static final long BOOTM_OFFSET = 0x14;
    /** Where the resource table starts in the file. */
    public static final long TABLE_OFFSET = 0x18;
    /** Status bit: this side booted. */
    public static final int STATUS_BOOT = 0x01;
    /** Status bit: the handshake is done. */
    public static final int STATUS_OK = 0x02;
    /** Status bit: the other side restarted and wants this one to reset. */
    public static final int STATUS_NEED_RESET = 0x04;
    /** Entries in the table. */
    public static final int ENTRIES = 6;
    /** Entry offsets, relative to the table. */
    public static final long[] ENTRY_OFFSETS = {40, 88, 65_680, 65_728, 131_320, 131_452};
    /** Each carveout's size. */
    public static final long SHM_SIZE = 0x10000;
    /** The rpmsg vdev's index among the table's vdevs (after the two entropy devices). */
    public static final int RPMSG_VDEV = 2;
    /** The entropy devices' virtio id. */
    public static final int VIRTIO_ID_ENTROPY = 4;
    /** Buffer size both ways from {@code fw_rsc_config}: 1,536 bytes, 1,520 of payload. */
    public static final int BUFFER_SIZE = 0x600;
    /** Descriptors per vring. */
    public static final int VRING_NUM = 8;
    /** Used-ring alignment of every vring. */
    public static final int VRING_ALIGN = 8;
    /** The master's and the slave's cpu names in NuttX's configs. */
    public static final String SERVER = "server";
    public static final String PROXY = "proxy";

    private static final VarHandle U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final int RPMSG_FEATURES = RpmsgAddresses.F_NS | RpmsgAddresses.F_ACK | RpmsgAddresses.F_BUFSZ
            | RpmsgAddresses.F_CPUNAME;

    private NuttxSimLayout() {
    }

    /** The table's bytes within the file. */
    public static MemorySegment table(MemorySegment file) {
        return file.asSlice(TABLE_OFFSET, FILE_SIZE - TABLE_OFFSET);
    }

    /**
     * The master's {@code get_resource}: zeroes the table and writes NuttX's six entries exactly as NuttX's
     * {@code sim_rptun_get_resource} does (vring da 0 and notify ids ANY, to be assigned at layout).
     */
    public static void writeTable(MemorySegment file, String hostName, String remoteName) {
        Objects.requireNonNull(file, "file");
        MemorySegment t = table(file);
        t.fill((byte) 0);
        t.set(WireLayouts.LE_U32, ResourceTableLayout.VER_OFFSET, ResourceTableLayout.VERSION);
        t.set(WireLayouts.LE_U32, ResourceTableLayout.NUM_OFFSET, ENTRIES);
        for (int i = 0; i < ENTRIES; i++) {
            t.set(WireLayouts.LE_U32, ResourceTableLayout.offsetSlot(i), (int) ENTRY_OFFSETS[i]);
        }
        writeVdev(t, ENTRY_OFFSETS[0], VIRTIO_ID_ENTROPY, 0, 1, 0);
        writeCarveout(t, ENTRY_OFFSETS[1], "rng0_shm");
        writeVdev(t, ENTRY_OFFSETS[2], VIRTIO_ID_ENTROPY, 0, 1, 0);
        writeCarveout(t, ENTRY_OFFSETS[3], "rng1_shm");
        writeVdev(t, ENTRY_OFFSETS[4], RpmsgAddresses.VIRTIO_ID_RPMSG, RPMSG_FEATURES, 2, FwRscConfigLayout.SIZE);
        long config = FwRscVdevLayout.configOffset(ENTRY_OFFSETS[4], 2);
        t.set(WireLayouts.LE_U32, config + FwRscConfigLayout.H2R_BUF_SIZE_OFFSET, BUFFER_SIZE);
        t.set(WireLayouts.LE_U32, config + FwRscConfigLayout.R2H_BUF_SIZE_OFFSET, BUFFER_SIZE);
        putName(t, config + FwRscConfigLayout.HOST_CPUNAME_OFFSET, hostName, FwRscConfigLayout.CPUNAME_SIZE);
        putName(t, config + FwRscConfigLayout.REMOTE_CPUNAME_OFFSET, remoteName, FwRscConfigLayout.CPUNAME_SIZE);
        writeCarveout(t, ENTRY_OFFSETS[5], "rpmsg0_shm");
    }

    private static void writeVdev(MemorySegment t, long entry, int id, int features, int vrings, long configLen) {
        t.set(WireLayouts.LE_U32, entry + FwRscVdevLayout.TYPE_OFFSET, FwRscHdrLayout.RSC_VDEV);
        t.set(WireLayouts.LE_U32, entry + FwRscVdevLayout.ID_OFFSET, id);
        t.set(WireLayouts.LE_U32, entry + FwRscVdevLayout.NOTIFYID_OFFSET, (int) Rsc.ADDR_ANY);
        t.set(WireLayouts.LE_U32, entry + FwRscVdevLayout.DFEATURES_OFFSET, features);
        t.set(WireLayouts.LE_U32, entry + FwRscVdevLayout.CONFIG_LEN_OFFSET, (int) configLen);
        t.set(WireLayouts.LE_U8, entry + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET, (byte) vrings);
        t.set(WireLayouts.LE_U8, entry + FwRscVdevLayout.RESERVED0_OFFSET, (byte) FwRscVdevLayout.ROLE_DRIVER);
        for (int i = 0; i < vrings; i++) {
            long v = FwRscVdevLayout.vringOffset(entry, i);
            t.set(WireLayouts.LE_U32, v + FwRscVdevVringLayout.ALIGN_OFFSET, VRING_ALIGN);
            t.set(WireLayouts.LE_U32, v + FwRscVdevVringLayout.NUM_OFFSET, VRING_NUM);
            t.set(WireLayouts.LE_U32, v + FwRscVdevVringLayout.NOTIFYID_OFFSET, (int) Rsc.ADDR_ANY);
        }
    }

    private static void writeCarveout(MemorySegment t, long entry, String name) {
        t.set(WireLayouts.LE_U32, entry + FwRscCarveoutLayout.TYPE_OFFSET, FwRscHdrLayout.RSC_CARVEOUT);
        // The carveout's memory is the array right behind the entry: da is that array's file offset.
        t.set(WireLayouts.LE_U32, entry + FwRscCarveoutLayout.DA_OFFSET,
                (int) (TABLE_OFFSET + entry + FwRscCarveoutLayout.SIZE));
        t.set(WireLayouts.LE_U32, entry + FwRscCarveoutLayout.PA_OFFSET, (int) Rsc.ADDR_ANY);
        t.set(WireLayouts.LE_U32, entry + FwRscCarveoutLayout.LEN_OFFSET, (int) SHM_SIZE);
        putName(t, entry + FwRscCarveoutLayout.NAME_OFFSET, name, FwRscCarveoutLayout.NAME_SIZE);
    }

    private static void putName(MemorySegment t, long offset, String name, int size) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= size) {
            throw new IllegalArgumentException("name '" + name + "' needs fewer than " + size + " bytes");
        }
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, t, offset, bytes.length);
    }

    /**
     * True if {@code file}'s table has NuttX's shape: version 1, six entries at NuttX's offsets, the rpmsg
     * vdev third. What a slave checks before it writes anything to a file.
     */
    public static boolean hasNuttxTable(MemorySegment file) {
        if (file.byteSize() != FILE_SIZE) {
            return false;
        }
        MemorySegment t = table(file);
        if (t.get(WireLayouts.LE_U32, ResourceTableLayout.VER_OFFSET) != ResourceTableLayout.VERSION
                || t.get(WireLayouts.LE_U32, ResourceTableLayout.NUM_OFFSET) != ENTRIES) {
            return false;
        }
        for (int i = 0; i < ENTRIES; i++) {
            if (Integer.toUnsignedLong(t.get(WireLayouts.LE_U32, ResourceTableLayout.offsetSlot(i)))
                    != ENTRY_OFFSETS[i]) {
                return false;
            }
        }
        return t.get(WireLayouts.LE_U32, ENTRY_OFFSETS[4] + FwRscVdevLayout.ID_OFFSET)
                == RpmsgAddresses.VIRTIO_ID_RPMSG;
    }

    /** The pa of file offset 0 as the master wrote it. */
    public static long base(MemorySegment file) {
        return file.get(WireLayouts.LE_U64, BASE_OFFSET);
    }

    public static void setBase(MemorySegment file, long base) {
        file.set(WireLayouts.LE_U64, BASE_OFFSET, base);
    }

    /** A status or counter word, volatile. */
    public static int getVolatile(MemorySegment file, long offset) {
        return (int) U32.getVolatile(file, offset);
    }

    /** Writes a status word, volatile: everything written before is visible to whoever reads it. */
    public static void setVolatile(MemorySegment file, long offset, int value) {
        U32.setVolatile(file, offset, value);
    }

    /** Adds one to a counter atomically: a notification. */
    public static void increment(MemorySegment file, long offset) {
        U32.getAndAdd(file, offset, 1);
    }
}
