package io.rptun.core.rsc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * OpenAMP's Linux userspace demo table ({@code docs/protocols.md} section 5), from a hand-derived fixture
 * ({@code openamp_linux_demo.hex}): parse, write back byte for byte, and live access in place.
 */
class OpenAmpDemoTableTest {
    private static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Where the demo table's fields sit, from docs/protocols.md (vdev at 0x14). */
    private static final long VDEV = 0x14;
    private static final long VDEV_NOTIFYID = VDEV + 8;
    private static final long VDEV_GFEATURES = VDEV + 16;
    private static final long VDEV_STATUS = VDEV + 24;
    private static final long VRING0 = VDEV + 28;
    private static final long VRING1 = VRING0 + 20;
    private static final long VRING_DA = 0;
    private static final long VRING_NOTIFYID = 12;

    static byte[] demoBytes() {
        try (InputStream in = OpenAmpDemoTableTest.class.getResourceAsStream("openamp_linux_demo.hex")) {
            if (in == null) {
                throw new IllegalStateException("fixture openamp_linux_demo.hex not found on the test class path");
            }
            StringBuilder hex = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\\R")) {
                if (!line.strip().startsWith("#")) {
                    hex.append(line.replaceAll("\\s+", ""));
                }
            }
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The demo table as a model. */
    static ResourceTable demoModel() {
        return ResourceTable.of(new VdevResource(FwRscVdevLayout.VIRTIO_ID_RPMSG, 0, 1, 0, 0, 0, 0,
                List.of(new VringResource(0x4000, 0x1000, 256, 1, 0),
                        new VringResource(0x8000, 0x1000, 256, 2, 0)),
                RawBytes.empty()));
    }

    private static ParsedResourceTable parseDemo() {
        return ResourceTableParser.parse(MemorySegment.ofArray(demoBytes()), ParseMode.OPENAMP);
    }

    @Test
    void demoFixtureIs88Bytes() {
        assertThat(demoBytes()).hasSize(88);
    }

    @Test
    void demoTableHasOneVdevAtOffset0x14AndEnds88BytesIn() {
        ParsedResourceTable parsed = parseDemo();
        assertThat(parsed.table().entries()).hasSize(1);
        assertThat(parsed.entryOffsets()).containsExactly(0x14L);
        assertThat(parsed.vdevOffset(0)).isEqualTo(0x14);
        assertThat(parsed.extent()).isEqualTo(88);
        assertThat(parsed.table().reserved0()).isZero();
        assertThat(parsed.table().reserved1()).isZero();
    }

    @Test
    void demoVdevIsRpmsgWithNsFeatureAndNoConfigSpace() {
        VdevResource vdev = (VdevResource) parseDemo().table().entries().getFirst();
        assertThat(vdev.type()).isEqualTo(FwRscHdrLayout.RSC_VDEV);
        assertThat(vdev.id()).isEqualTo(7);
        assertThat(vdev.notifyId()).isZero();
        assertThat(vdev.dfeatures()).isEqualTo(1);
        assertThat(vdev.gfeatures()).isZero();
        assertThat(vdev.status()).isZero();
        assertThat(vdev.reserved0()).isZero();
        assertThat(vdev.reserved1()).isZero();
        assertThat(vdev.config()).isEqualTo(RawBytes.empty());
        assertThat(vdev.rptunConfig()).isEmpty();
        assertThat(vdev.byteSize()).isEqualTo(68);
    }

    @Test
    void demoVringsAreAt0x4000And0x8000WithAlign0x1000Num256AndNotifyIds1And2() {
        VdevResource vdev = (VdevResource) parseDemo().table().entries().getFirst();
        assertThat(vdev.vrings()).hasSize(2);
        VringResource v0 = vdev.vrings().get(0);
        VringResource v1 = vdev.vrings().get(1);
        assertThat(v0.da()).isEqualTo(0x4000);
        assertThat(v0.align()).isEqualTo(0x1000);
        assertThat(v0.num()).isEqualTo(256);
        assertThat(v0.notifyId()).isEqualTo(1);
        assertThat(v0.reserved()).isZero();
        assertThat(v0.isDaAllocated()).isFalse();
        assertThat(v1.da()).isEqualTo(0x8000);
        assertThat(v1.align()).isEqualTo(0x1000);
        assertThat(v1.num()).isEqualTo(256);
        assertThat(v1.notifyId()).isEqualTo(2);
        assertThat(v1.reserved()).isZero();
        assertThat(v1.isDaAllocated()).isFalse();
    }

    @Test
    void demoVringOffsetsAre48And68() {
        ParsedResourceTable parsed = parseDemo();
        assertThat(parsed.vringOffset(0, 0)).isEqualTo(48);
        assertThat(parsed.vringOffset(0, 1)).isEqualTo(68);
        assertThat(parsed.configOffset(0)).isEqualTo(88);
    }

    @Test
    void demoParsesToTheEquivalentModel() {
        assertThat(parseDemo().table()).isEqualTo(demoModel());
    }

    @Test
    void writerReproducesThe88DemoBytesExactly() {
        byte[] written = ResourceTableWriter.toBytes(demoModel());
        RptunRscGoldenTest.assertSameBytes(written, demoBytes());
        assertThat(ResourceTableWriter.sizeOf(demoModel())).isEqualTo(88);
    }

    @Test
    void demoParsesInNuttxModeToo() {
        ParsedResourceTable parsed = ResourceTableParser.parse(MemorySegment.ofArray(demoBytes()), ParseMode.NUTTX);
        assertThat(parsed.table()).isEqualTo(demoModel());
    }

    // ------------------------------------------------------------------ live access in place

    /** The kinds of memory the demo table is placed in for live access. */
    enum Memory {
        NATIVE_ALIGNED,
        /** Native memory, table at an odd address: every u32 is unaligned. */
        NATIVE_ODD_ADDRESS,
        HEAP;

        /** Runs {@code body} on a segment holding exactly the demo bytes. */
        void withTable(byte[] bytes, Consumer<MemorySegment> body) {
            switch (this) {
                case HEAP -> body.accept(MemorySegment.ofArray(bytes.clone()));
                case NATIVE_ALIGNED, NATIVE_ODD_ADDRESS -> {
                    try (Arena arena = Arena.ofConfined()) {
                        long at = this == NATIVE_ALIGNED ? 0 : 1;
                        MemorySegment all = arena.allocate(bytes.length + 8, 8);
                        MemorySegment table = all.asSlice(at, bytes.length);
                        MemorySegment.copy(bytes, 0, table, ValueLayout.JAVA_BYTE, 0, bytes.length);
                        body.accept(table);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Memory.class)
    void liveTableReadsTheDemoFieldsInPlace(Memory memory) {
        memory.withTable(demoBytes(), segment -> {
            LiveResourceTable live = ResourceTableParser.parse(segment, ParseMode.OPENAMP).attach(segment);
            assertThat(live.status(0)).isZero();
            assertThat(live.gfeatures(0)).isZero();
            assertThat(live.dfeatures(0)).isEqualTo(1);
            assertThat(live.vdevNotifyId(0)).isZero();
            assertThat(live.vringDa(0, 0)).isEqualTo(0x4000);
            assertThat(live.vringDa(0, 1)).isEqualTo(0x8000);
            assertThat(live.vringNotifyId(0, 0)).isEqualTo(1);
            assertThat(live.vringNotifyId(0, 1)).isEqualTo(2);
        });
    }

    @ParameterizedTest
    @EnumSource(Memory.class)
    void liveTableWritesStatusGfeaturesVringDaAndNotifyIdsInPlaceAndAReparseSeesThem(Memory memory) {
        memory.withTable(demoBytes(), segment -> {
            LiveResourceTable live = ResourceTableParser.parse(segment, ParseMode.OPENAMP).attach(segment);
            int status = FwRscVdevLayout.STATUS_ACKNOWLEDGE | FwRscVdevLayout.STATUS_DRIVER
                    | FwRscVdevLayout.STATUS_FEATURES_OK | FwRscVdevLayout.STATUS_DRIVER_OK;
            live.setGfeatures(0, 1);
            live.setVringDa(0, 0, 0x1_4000);
            live.setVringDa(0, 1, 0xFFFF_F000L);
            live.setVringNotifyId(0, 0, 0x11223344);
            live.setVringNotifyId(0, 1, 6);
            live.setVdevNotifyId(0, 9);
            live.setStatus(0, status);

            // the live view reads back what it wrote
            assertThat(live.status(0)).isEqualTo(0x0F);
            assertThat(live.gfeatures(0)).isEqualTo(1);
            assertThat(live.vringDa(0, 0)).isEqualTo(0x1_4000);
            assertThat(live.vringDa(0, 1)).isEqualTo(0xFFFF_F000L);
            assertThat(live.vringNotifyId(0, 0)).isEqualTo(0x11223344);
            assertThat(live.vringNotifyId(0, 1)).isEqualTo(6);
            assertThat(live.vdevNotifyId(0)).isEqualTo(9);

            // the raw bytes sit where docs/protocols.md puts them, little-endian
            assertThat(segment.get(ValueLayout.JAVA_BYTE, VDEV_STATUS)).isEqualTo((byte) 0x0F);
            assertThat(segment.get(LE_U32, VDEV_GFEATURES)).isEqualTo(1);
            assertThat(segment.get(LE_U32, VDEV_NOTIFYID)).isEqualTo(9);
            assertThat(segment.get(LE_U32, VRING0 + VRING_DA)).isEqualTo(0x1_4000);
            assertThat(segment.get(LE_U32, VRING1 + VRING_DA)).isEqualTo(0xFFFF_F000);
            assertThat(segment.get(LE_U32, VRING1 + VRING_NOTIFYID)).isEqualTo(6);
            assertThat(segment.asSlice(VRING0 + VRING_NOTIFYID, 4).toArray(ValueLayout.JAVA_BYTE))
                    .containsExactly(0x44, 0x33, 0x22, 0x11);

            // nothing else moved: the other 88 - 4·6 - 1 bytes are as in the fixture
            byte[] now = segment.toArray(ValueLayout.JAVA_BYTE);
            byte[] before = demoBytes();
            for (long changed : new long[] {VDEV_GFEATURES, VDEV_NOTIFYID, VRING0 + VRING_DA, VRING1 + VRING_DA,
                    VRING0 + VRING_NOTIFYID, VRING1 + VRING_NOTIFYID}) {
                for (int i = 0; i < 4; i++) {
                    now[(int) changed + i] = before[(int) changed + i];
                }
            }
            now[(int) VDEV_STATUS] = before[(int) VDEV_STATUS];
            assertThat(now).containsExactly(before);

            // a reparse (snapshot, and a fresh parse of the same memory) sees the new values
            for (ParsedResourceTable reparsed : List.of(live.snapshot(ParseMode.OPENAMP),
                    ResourceTableParser.parse(segment, ParseMode.OPENAMP))) {
                VdevResource vdev = reparsed.table().vdevs().getFirst();
                assertThat(vdev.status()).isEqualTo(0x0F);
                assertThat(vdev.gfeatures()).isEqualTo(1);
                assertThat(vdev.notifyId()).isEqualTo(9);
                assertThat(vdev.vrings()).containsExactly(
                        new VringResource(0x1_4000, 0x1000, 256, 0x11223344, 0),
                        new VringResource(0xFFFF_F000L, 0x1000, 256, 6, 0));
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Memory.class)
    void statusIsOneByteSoWritingItLeavesNumOfVringsAlone(Memory memory) {
        memory.withTable(demoBytes(), segment -> {
            LiveResourceTable live = ResourceTableParser.parse(segment, ParseMode.OPENAMP).attach(segment);
            live.setStatus(0, FwRscVdevLayout.STATUS_FAILED | FwRscVdevLayout.STATUS_NEEDS_RESET);
            assertThat(live.status(0)).isEqualTo(0xC0);
            assertThat(segment.get(ValueLayout.JAVA_BYTE, VDEV_STATUS + 1)).isEqualTo((byte) 2);
            assertThat(segment.get(ValueLayout.JAVA_BYTE, VDEV_STATUS - 1)).isEqualTo((byte) 0);
            assertThat(ResourceTableParser.parse(segment, ParseMode.OPENAMP).table().vdevs().getFirst().status())
                    .isEqualTo(0xC0);
        });
    }
}
