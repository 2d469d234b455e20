package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.FwRscHdrLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file and table the models lay out, pinned to the numbers in peers.md section 2. */
class NuttxTableTest {
    @TempDir
    Path dir;

    @Test
    void theUsedRingIsAlignedOnTheAbsoluteAddressNotRelativeToTheVringsStart() {
        NuttxTable.VringPlace vring0 = NuttxTable.place(0x201CC, 8, 8);
        assertThat(vring0.avail()).isEqualTo(0x2024C);
        assertThat(vring0.used()).isEqualTo(0x20268);
        assertThat(0x201CC + VringLayout.usedOffset(8, 8)).as("aligned relative to the start").isEqualTo(0x20264);
        assertThat(vring0.allotted()).isEqualTo(0xE0);

        NuttxTable.VringPlace vring1 = NuttxTable.place(0x201CC + vring0.allotted(), 8, 8);
        assertThat(vring1.da()).isEqualTo(0x202AC);
        assertThat(vring1.used()).isEqualTo(0x20348);
        assertThat(vring1.end()).as("avail_event spills 2 bytes past the 0xE0 allotted").isEqualTo(0x2038E);
    }

    @Test
    void forAnAlignedStartBothAlignmentsAgree() {
        for (long da : new long[] {0xA8, 0x10110, 0x1000, 0x20000}) {
            for (int num : new int[] {1, 8, 64, 256}) {
                for (int align : new int[] {4, 8, 16}) {
                    if (da % align == 0) {
                        assertThat(NuttxTable.place(da, num, align).used())
                                .as("da 0x%x num %d align %d", da, num, align)
                                .isEqualTo(da + VringLayout.usedOffset(num, align));
                    }
                }
            }
        }
        assertThat(NuttxTable.place(0xA8, 8, 8).used()).isEqualTo(0x140);
    }

    @Test
    void aVringThatDoesNotFitInTheFileIsRefused() {
        assertThatThrownBy(() -> NuttxTable.place(NuttxSimFile.SIZE - 100, 8, 8))
                .isInstanceOf(NuttxModelException.class).hasMessageContaining("does not fit");
        assertThatThrownBy(() -> NuttxTable.place(0x1000, 6, 8)).hasMessageContaining("num 6");
        assertThatThrownBy(() -> NuttxTable.place(0x1000, 8, 3)).hasMessageContaining("align 3");
    }

    @Test
    void theServerTableHasEveryOffsetAndValueOfPeersMd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(NuttxSimFile.SIZE, 4096);
            m.fill((byte) 0x5A);
            NuttxTable.writeServerTable(m);
            NuttxTable.assignNotifyIds(m);
            assertThat(m.get(LE_U32, 0x18)).as("ver").isEqualTo(1);
            assertThat(m.get(LE_U32, 0x1C)).as("num").isEqualTo(6);
            assertThat(m.get(LE_U32, 0x20)).as("cmd_master").isZero();
            assertThat(m.get(LE_U32, 0x24)).as("cmd_slave").isZero();
            int[] offsets = new int[6];
            for (int i = 0; i < 6; i++) {
                offsets[i] = m.get(LE_U32, 0x28 + 4L * i);
            }
            assertThat(offsets).containsExactly(40, 88, 65680, 65728, 131320, 131452);

            assertEntropyVdev(m, 0x40, 0);
            assertCarveout(m, 0x70, 0xA8, "rng0_shm");
            assertEntropyVdev(m, 0x100A8, 2);
            assertCarveout(m, 0x100D8, 0x10110, "rng1_shm");

            assertThat(m.get(LE_U32, 0x20110)).as("type").isEqualTo(FwRscHdrLayout.RSC_VDEV);
            assertThat(m.get(LE_U32, 0x20114)).as("id").isEqualTo(7);
            assertThat(m.get(LE_U32, 0x20118)).as("notifyid").isEqualTo(4);
            assertThat(m.get(LE_U32, 0x2011C)).as("dfeatures").isEqualTo(0xF);
            assertThat(m.get(LE_U32, 0x20120)).as("gfeatures").isZero();
            assertThat(m.get(LE_U32, 0x20124)).as("config_len").isEqualTo(64);
            assertThat(m.get(LE_U8, 0x20128)).as("status").isZero();
            assertThat(m.get(LE_U8, 0x20129)).as("num_of_vrings").isEqualTo((byte) 2);
            assertThat(m.get(LE_U8, 0x2012A)).as("reserved[0]: driver").isZero();
            assertVring(m, 0x2012C, 5);
            assertVring(m, 0x20140, 6);
            assertThat(m.get(LE_U32, 0x20154)).as("h2r_buf_size").isEqualTo(0x600);
            assertThat(m.get(LE_U32, 0x20158)).as("r2h_buf_size").isEqualTo(0x600);
            assertThat(NuttxTable.name(m, 0x2016C, 8)).isEqualTo("server");
            assertThat(NuttxTable.name(m, 0x20174, 8)).isEqualTo("proxy");
            assertCarveout(m, 0x20194, 0x201CC, "rpmsg0_shm");
            MemorySegment zeros = arena.allocate(NuttxSimFile.SIZE - 0x18);
            assertThat(MemorySegment.mismatch(m, 0x201CC, NuttxSimFile.SIZE, zeros, 0, NuttxSimFile.SIZE - 0x201CC))
                    .as("rpmsg0_shm zeroed").isEqualTo(-1);
            assertThat(m.get(LE_U32, 0x10)).as("the header before the table is left alone").isEqualTo(0x5A5A5A5A);
        }
    }

    private static void assertEntropyVdev(MemorySegment m, long at, int notifyId) {
        assertThat(m.get(LE_U32, at)).as("type").isEqualTo(FwRscHdrLayout.RSC_VDEV);
        assertThat(m.get(LE_U32, at + 4)).as("id").isEqualTo(4);
        assertThat(m.get(LE_U32, at + 8)).as("notifyid").isEqualTo(notifyId);
        assertThat(m.get(LE_U32, at + 12)).as("dfeatures").isZero();
        assertThat(m.get(LE_U32, at + 20)).as("config_len").isZero();
        assertThat(m.get(LE_U8, at + 25)).as("num_of_vrings").isEqualTo((byte) 1);
        assertThat(m.get(LE_U8, at + 26)).as("reserved[0]: driver").isZero();
        assertVring(m, at + 28, notifyId + 1);
    }

    private static void assertVring(MemorySegment m, long at, int notifyId) {
        assertThat(m.get(LE_U32, at)).as("da").isZero();
        assertThat(m.get(LE_U32, at + 4)).as("align").isEqualTo(8);
        assertThat(m.get(LE_U32, at + 8)).as("num").isEqualTo(8);
        assertThat(m.get(LE_U32, at + 12)).as("notifyid").isEqualTo(notifyId);
    }

    private static void assertCarveout(MemorySegment m, long at, long da, String name) {
        assertThat(m.get(LE_U32, at)).as("type").isEqualTo(FwRscHdrLayout.RSC_CARVEOUT);
        assertThat(m.get(LE_U32, at + 4)).as("da").isEqualTo((int) da);
        assertThat(m.get(LE_U32, at + 8)).as("pa").isEqualTo(0xFFFF_FFFF);
        assertThat(m.get(LE_U32, at + 12)).as("len").isEqualTo(0x10000);
        assertThat(m.get(LE_U32, at + 16)).as("flags").isZero();
        assertThat(NuttxTable.name(m, at + 24, 32)).isEqualTo(name);
        assertThat(da).as("the carveout's da is the offset right after its own struct").isEqualTo(at + 56);
    }

    @Test
    void aFileIsCreatedAsNuttxDoesWithMode0600AndTheFullSize() throws Exception {
        Path path = dir.resolve("server-proxy");
        try (NuttxSimFile f = NuttxSimFile.open(path)) {
            assertThat(f.memory().byteSize()).isEqualTo(197_072);
        }
        assertThat(Files.size(path)).isEqualTo(197_072);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
    }

    @Test
    void anExistingFileIsResizedAsFtruncateWould() throws Exception {
        Path big = Files.write(dir.resolve("big"), new byte[300_000]);
        Path small = Files.write(dir.resolve("small"), new byte[] {7});
        NuttxSimFile.open(big).close();
        try (NuttxSimFile f = NuttxSimFile.open(small)) {
            assertThat(f.memory().get(LE_U8, 0)).isEqualTo((byte) 7);
        }
        assertThat(Files.size(big)).isEqualTo(197_072);
        assertThat(Files.size(small)).isEqualTo(197_072);
    }

    @Test
    void aDeviceRefusesADescriptorWhosePaLiesOutsideTheFile() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(NuttxSimFile.SIZE, 4096);
            long base = 0x7f00_0000_0000L;
            NuttxTable.VringPlace place = NuttxTable.place(0x1000, 8, 8);
            NuttxVirtqueue driver = NuttxVirtqueue.driver("d", m, place, base);
            NuttxVirtqueue device = NuttxVirtqueue.device("q", m, place, base);
            driver.addBuffer(0x3000, 1536, true);
            assertThat(device.getFirstAvailBuffer()).isEqualTo(new NuttxVirtqueue.Buffer(0, 0x3000, 1536));
            assertThat(m.get(WireLayouts.LE_U64, place.desc() + VringDescLayout.ADDR_OFFSET)).isEqualTo(base + 0x3000);

            driver.addBuffer(NuttxSimFile.SIZE - 100, 1536, true);
            assertThatThrownBy(device::getFirstAvailBuffer).isInstanceOf(NuttxModelException.class)
                    .hasMessageContaining("outside the file");
        }
    }
}
