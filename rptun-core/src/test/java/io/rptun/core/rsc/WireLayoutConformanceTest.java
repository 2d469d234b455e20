package io.rptun.core.rsc;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pins every size and field offset of {@code docs/protocols.md} section 1 to the layout classes: the numbers
 * below are typed in from the document, never computed from the layouts under test.
 */
class WireLayoutConformanceTest {

    // ------------------------------------------------------------------ helpers

    private static long offsetOf(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    /** Every value layout inside {@code layout}, recursively (through structs and sequences). */
    private static List<ValueLayout> valueLayouts(MemoryLayout layout) {
        List<ValueLayout> out = new ArrayList<>();
        collect(layout, out);
        return out;
    }

    private static void collect(MemoryLayout layout, List<ValueLayout> out) {
        switch (layout) {
            case ValueLayout v -> out.add(v);
            case SequenceLayout s -> collect(s.elementLayout(), out);
            case GroupLayout g -> g.memberLayouts().forEach(m -> collect(m, out));
            case PaddingLayout p -> { }
            default -> throw new AssertionError("unexpected layout " + layout);
        }
    }

    /** Little-endian and packed: every value is LE and nothing asks for alignment above 1 byte. */
    private static void assertLittleEndianAndPacked(StructLayout layout) {
        List<ValueLayout> values = valueLayouts(layout);
        assertThat(values).isNotEmpty();
        assertThat(values).allSatisfy(v -> {
            if (v.byteSize() > 1) {
                assertThat(v.order()).as("byte order of %s", v).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            }
            assertThat(v.byteAlignment()).as("alignment of %s", v).isEqualTo(1);
        });
        assertThat(layout.byteAlignment()).isEqualTo(1);
    }

    /** Writes {@code value} (a u32) through the layout's var handle for {@code field}; returns the raw bytes. */
    private static byte[] writeU32Through(StructLayout layout, String field, int value) {
        byte[] bytes = new byte[(int) layout.byteSize()];
        VarHandle handle = layout.varHandle(groupElement(field));
        handle.set(MemorySegment.ofArray(bytes), 0L, value);
        return bytes;
    }

    private static byte[] slice(byte[] bytes, int from, int length) {
        byte[] out = new byte[length];
        System.arraycopy(bytes, from, out, 0, length);
        return out;
    }

    private static byte[] hex(String hex) {
        return HexFormat.ofDelimiter(" ").parseHex(hex);
    }

    /** Only the four bytes at {@code at} are non-zero, and they are 44 33 22 11. */
    private static void assertLandsLittleEndian(StructLayout layout, String field, int at) {
        byte[] bytes = writeU32Through(layout, field, 0x11223344);
        assertThat(slice(bytes, at, 4)).as("%s at %d", field, at).containsExactly(hex("44 33 22 11"));
        byte[] rest = bytes.clone();
        for (int i = at; i < at + 4; i++) {
            rest[i] = 0;
        }
        assertThat(rest).as("no other byte written for %s", field).containsOnly((byte) 0);
    }

    // ------------------------------------------------------------------ resource_table

    @Test
    void headerIs16BytesWithVerAt0NumAt4ReservedAt8And12() {
        assertThat(ResourceTableLayout.HEADER_SIZE).isEqualTo(16);
        assertThat(ResourceTableLayout.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(ResourceTableLayout.VER_OFFSET).isEqualTo(0);
        assertThat(ResourceTableLayout.NUM_OFFSET).isEqualTo(4);
        assertThat(ResourceTableLayout.RESERVED0_OFFSET).isEqualTo(8);
        assertThat(ResourceTableLayout.RESERVED1_OFFSET).isEqualTo(12);
        assertThat(offsetOf(ResourceTableLayout.LAYOUT, "ver")).isEqualTo(0);
        assertThat(offsetOf(ResourceTableLayout.LAYOUT, "num")).isEqualTo(4);
        assertThat(offsetOf(ResourceTableLayout.LAYOUT, "reserved")).isEqualTo(8);
        assertThat(ResourceTableLayout.LAYOUT.select(groupElement("reserved")).byteSize()).isEqualTo(8);
    }

    @Test
    void offsetArrayStartsAt16WithFourBytesPerEntry() {
        assertThat(ResourceTableLayout.OFFSETS_OFFSET).isEqualTo(16);
        assertThat(ResourceTableLayout.offsetSlot(0)).isEqualTo(16);
        assertThat(ResourceTableLayout.offsetSlot(1)).isEqualTo(20);
        assertThat(ResourceTableLayout.offsetSlot(2)).isEqualTo(24);
    }

    @Test
    void tableSizeIs16PlusFourTimesNum() {
        assertThat(ResourceTableLayout.sizeWithOffsets(0)).isEqualTo(16);
        assertThat(ResourceTableLayout.sizeWithOffsets(1)).isEqualTo(20);
        assertThat(ResourceTableLayout.sizeWithOffsets(3)).isEqualTo(28);
        assertThat(ResourceTableLayout.sizeWithOffsets(0xFFFF_FFFFL)).isEqualTo(16 + 4 * 0xFFFF_FFFFL);
    }

    @Test
    void versionIs1() {
        assertThat(ResourceTableLayout.VERSION).isEqualTo(1);
    }

    @Test
    void headerIsLittleEndianAndPacked() {
        assertLittleEndianAndPacked(ResourceTableLayout.LAYOUT);
        assertLandsLittleEndian(ResourceTableLayout.LAYOUT, "ver", 0);
        assertLandsLittleEndian(ResourceTableLayout.LAYOUT, "num", 4);
    }

    @Test
    void accessorsReadLittleEndianWordsAtTheirOffsets() {
        MemorySegment s = MemorySegment.ofArray(hex(
                "01 00 00 00 02 00 00 00 44 33 22 11 88 77 66 55 10 00 00 00 2c 01 00 00"));
        assertThat(ResourceTableLayout.ver(s)).isEqualTo(1);
        assertThat(ResourceTableLayout.num(s)).isEqualTo(2);
        assertThat(ResourceTableLayout.reserved0(s)).isEqualTo(0x11223344);
        assertThat(ResourceTableLayout.reserved1(s)).isEqualTo(0x55667788);
        assertThat(ResourceTableLayout.entryOffset(s, 0)).isEqualTo(0x10);
        assertThat(ResourceTableLayout.entryOffset(s, 1)).isEqualTo(0x12c);
    }

    // ------------------------------------------------------------------ fw_rsc_hdr and constants

    @Test
    void fwRscHdrIs4BytesWithTypeAt0() {
        assertThat(FwRscHdrLayout.LAYOUT.byteSize()).isEqualTo(4);
        assertThat(FwRscHdrLayout.TYPE_OFFSET).isEqualTo(0);
        assertLittleEndianAndPacked(FwRscHdrLayout.LAYOUT);
        assertLandsLittleEndian(FwRscHdrLayout.LAYOUT, "type", 0);
        assertThat(FwRscHdrLayout.type(MemorySegment.ofArray(hex("00 00 03 00 00 00")), 2)).isEqualTo(3);
    }

    @Test
    void resourceTypesAreCarveout0Devmem1Trace2Vdev3Last4() {
        assertThat(FwRscHdrLayout.RSC_CARVEOUT).isEqualTo(0);
        assertThat(FwRscHdrLayout.RSC_DEVMEM).isEqualTo(1);
        assertThat(FwRscHdrLayout.RSC_TRACE).isEqualTo(2);
        assertThat(FwRscHdrLayout.RSC_VDEV).isEqualTo(3);
        assertThat(FwRscHdrLayout.RSC_LAST).isEqualTo(4);
    }

    @Test
    void vendorTypesRunFrom128To512Inclusive() {
        assertThat(FwRscHdrLayout.RSC_VENDOR_START).isEqualTo(128);
        assertThat(FwRscHdrLayout.RSC_VENDOR_END).isEqualTo(512);
        assertThat(FwRscHdrLayout.isVendorType(127)).isFalse();
        assertThat(FwRscHdrLayout.isVendorType(128)).isTrue();
        assertThat(FwRscHdrLayout.isVendorType(512)).isTrue();
        assertThat(FwRscHdrLayout.isVendorType(513)).isFalse();
        assertThat(FwRscHdrLayout.isVendorType(4)).isFalse();
        assertThat(FwRscHdrLayout.isVendorType(0xFFFF_FFFF)).isFalse();
    }

    @Test
    void addrAnyAndNotifyIdAnyAreAllOnes() {
        assertThat(Rsc.ADDR_ANY).isEqualTo(0xFFFF_FFFFL);
        assertThat(Rsc.NOTIFY_ID_ANY).isEqualTo(0xFFFF_FFFF);
        assertThat(Integer.toUnsignedLong(Rsc.NOTIFY_ID_ANY)).isEqualTo(Rsc.ADDR_ANY);
    }

    @Test
    void virtioIdRpmsgIs7() {
        assertThat(FwRscVdevLayout.VIRTIO_ID_RPMSG).isEqualTo(7);
    }

    @Test
    void virtioStatusBitsAreAck1Driver2DriverOk4FeaturesOk8NeedsReset0x40Failed0x80() {
        assertThat(FwRscVdevLayout.STATUS_ACKNOWLEDGE).isEqualTo(1);
        assertThat(FwRscVdevLayout.STATUS_DRIVER).isEqualTo(2);
        assertThat(FwRscVdevLayout.STATUS_DRIVER_OK).isEqualTo(4);
        assertThat(FwRscVdevLayout.STATUS_FEATURES_OK).isEqualTo(8);
        assertThat(FwRscVdevLayout.STATUS_NEEDS_RESET).isEqualTo(0x40);
        assertThat(FwRscVdevLayout.STATUS_FAILED).isEqualTo(0x80);
    }

    @Test
    void masterRoleIsDriver0Device1() {
        assertThat(FwRscVdevLayout.ROLE_DRIVER).isEqualTo(0);
        assertThat(FwRscVdevLayout.ROLE_DEVICE).isEqualTo(1);
    }

    @Test
    void nuttxFeatureBitsAreNs0Ack1Bufsz2Cpuname3Bufaddr4() {
        assertThat(RptunRsc.F_NS).isEqualTo(1 << 0);
        assertThat(RptunRsc.F_ACK).isEqualTo(1 << 1);
        assertThat(RptunRsc.F_BUFSZ).isEqualTo(1 << 2);
        assertThat(RptunRsc.F_CPUNAME).isEqualTo(1 << 3);
        assertThat(RptunRsc.F_BUFADDR).isEqualTo(1 << 4);
    }

    @Test
    void bufferSizeWithoutBufszIs512() {
        assertThat(RptunRsc.DEFAULT_BUFFER_SIZE).isEqualTo(512);
    }

    @Test
    void mailboxCommandsAreDone0Ready1Panic2Reset3Stop4Ack0xffff() {
        assertThat(NuttxCommand.DONE).isEqualTo(0);
        assertThat(NuttxCommand.READY).isEqualTo(1);
        assertThat(NuttxCommand.PANIC).isEqualTo(2);
        assertThat(NuttxCommand.RESET).isEqualTo(3);
        assertThat(NuttxCommand.STOP).isEqualTo(4);
        assertThat(NuttxCommand.ACK).isEqualTo(0xFFFF);
    }

    @Test
    void mailboxWordIsCmdShiftedLeft16OrValue() {
        assertThat(new NuttxCommand(NuttxCommand.READY, 0x1234).encode()).isEqualTo(0x0001_1234);
        assertThat(new NuttxCommand(NuttxCommand.ACK, 0).encode()).isEqualTo(0xFFFF_0000);
        assertThat(NuttxCommand.decode(0x0003_0007)).isEqualTo(new NuttxCommand(NuttxCommand.RESET, 7));
        assertThat(NuttxCommand.decode(0xFFFF_FFFF)).isEqualTo(new NuttxCommand(0xFFFF, 0xFFFF));
        assertThat(NuttxCommand.decode(0)).isEqualTo(new NuttxCommand(NuttxCommand.DONE, 0));
        assertThatThrownBy(() -> new NuttxCommand(0x10000, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NuttxCommand(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ carveout / devmem

    @Test
    void carveoutIs56BytesWithNameAt24() {
        assertThat(FwRscCarveoutLayout.SIZE).isEqualTo(56);
        assertThat(FwRscCarveoutLayout.LAYOUT.byteSize()).isEqualTo(56);
        assertThat(FwRscCarveoutLayout.NAME_OFFSET).isEqualTo(24);
        assertThat(FwRscCarveoutLayout.NAME_SIZE).isEqualTo(32);
        assertThat(FwRscCarveoutLayout.LAYOUT.select(groupElement("name")).byteSize()).isEqualTo(32);
    }

    @Test
    void carveoutFieldsAreType0Da4Pa8Len12Flags16Reserved20Name24() {
        assertThat(FwRscCarveoutLayout.TYPE_OFFSET).isEqualTo(0);
        assertThat(FwRscCarveoutLayout.DA_OFFSET).isEqualTo(4);
        assertThat(FwRscCarveoutLayout.PA_OFFSET).isEqualTo(8);
        assertThat(FwRscCarveoutLayout.LEN_OFFSET).isEqualTo(12);
        assertThat(FwRscCarveoutLayout.FLAGS_OFFSET).isEqualTo(16);
        assertThat(FwRscCarveoutLayout.RESERVED_OFFSET).isEqualTo(20);
        assertThat(FwRscCarveoutLayout.NAME_OFFSET).isEqualTo(24);
        StructLayout l = FwRscCarveoutLayout.LAYOUT;
        assertThat(offsetOf(l, "type")).isEqualTo(0);
        assertThat(offsetOf(l, "da")).isEqualTo(4);
        assertThat(offsetOf(l, "pa")).isEqualTo(8);
        assertThat(offsetOf(l, "len")).isEqualTo(12);
        assertThat(offsetOf(l, "flags")).isEqualTo(16);
        assertThat(offsetOf(l, "reserved")).isEqualTo(20);
        assertThat(offsetOf(l, "name")).isEqualTo(24);
    }

    @Test
    void carveoutIsLittleEndianAndPacked() {
        assertLittleEndianAndPacked(FwRscCarveoutLayout.LAYOUT);
    }

    @Test
    void daWrittenAs0x11223344LandsAsBytes44332211AtOffset4() {
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "da", 4);
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "type", 0);
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "pa", 8);
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "len", 12);
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "flags", 16);
        assertLandsLittleEndian(FwRscCarveoutLayout.LAYOUT, "reserved", 20);
    }

    @Test
    void carveoutAccessorsReadTheirFieldsFromAnEntryOffset() {
        byte[] bytes = new byte[4 + 56];
        System.arraycopy(hex("00 00 00 00 11 00 00 00 22 00 00 00 33 00 00 00 44 00 00 00 55 00 00 00"),
                0, bytes, 4, 24);
        MemorySegment s = MemorySegment.ofArray(bytes);
        assertThat(FwRscCarveoutLayout.da(s, 4)).isEqualTo(0x11);
        assertThat(FwRscCarveoutLayout.pa(s, 4)).isEqualTo(0x22);
        assertThat(FwRscCarveoutLayout.len(s, 4)).isEqualTo(0x33);
        assertThat(FwRscCarveoutLayout.flags(s, 4)).isEqualTo(0x44);
        assertThat(FwRscCarveoutLayout.reserved(s, 4)).isEqualTo(0x55);
    }

    @Test
    void devmemIs56BytesWithTheCarveoutLayout() {
        assertThat(FwRscDevmemLayout.SIZE).isEqualTo(56);
        assertThat(FwRscDevmemLayout.LAYOUT.byteSize()).isEqualTo(56);
        assertThat(FwRscDevmemLayout.TYPE_OFFSET).isEqualTo(0);
        assertThat(FwRscDevmemLayout.DA_OFFSET).isEqualTo(4);
        assertThat(FwRscDevmemLayout.PA_OFFSET).isEqualTo(8);
        assertThat(FwRscDevmemLayout.LEN_OFFSET).isEqualTo(12);
        assertThat(FwRscDevmemLayout.FLAGS_OFFSET).isEqualTo(16);
        assertThat(FwRscDevmemLayout.RESERVED_OFFSET).isEqualTo(20);
        assertThat(FwRscDevmemLayout.NAME_OFFSET).isEqualTo(24);
        StructLayout l = FwRscDevmemLayout.LAYOUT;
        assertThat(offsetOf(l, "type")).isEqualTo(0);
        assertThat(offsetOf(l, "da")).isEqualTo(4);
        assertThat(offsetOf(l, "pa")).isEqualTo(8);
        assertThat(offsetOf(l, "len")).isEqualTo(12);
        assertThat(offsetOf(l, "flags")).isEqualTo(16);
        assertThat(offsetOf(l, "reserved")).isEqualTo(20);
        assertThat(offsetOf(l, "name")).isEqualTo(24);
        assertLittleEndianAndPacked(l);
        assertLandsLittleEndian(l, "pa", 8);
    }

    // ------------------------------------------------------------------ trace

    @Test
    void traceIs48BytesWithType0Da4Len8Reserved12Name16() {
        assertThat(FwRscTraceLayout.SIZE).isEqualTo(48);
        assertThat(FwRscTraceLayout.LAYOUT.byteSize()).isEqualTo(48);
        assertThat(FwRscTraceLayout.TYPE_OFFSET).isEqualTo(0);
        assertThat(FwRscTraceLayout.DA_OFFSET).isEqualTo(4);
        assertThat(FwRscTraceLayout.LEN_OFFSET).isEqualTo(8);
        assertThat(FwRscTraceLayout.RESERVED_OFFSET).isEqualTo(12);
        assertThat(FwRscTraceLayout.NAME_OFFSET).isEqualTo(16);
        StructLayout l = FwRscTraceLayout.LAYOUT;
        assertThat(offsetOf(l, "type")).isEqualTo(0);
        assertThat(offsetOf(l, "da")).isEqualTo(4);
        assertThat(offsetOf(l, "len")).isEqualTo(8);
        assertThat(offsetOf(l, "reserved")).isEqualTo(12);
        assertThat(offsetOf(l, "name")).isEqualTo(16);
        assertThat(l.select(groupElement("name")).byteSize()).isEqualTo(32);
    }

    @Test
    void traceIsLittleEndianAndValuesLandAtTheirOffsets() {
        assertLittleEndianAndPacked(FwRscTraceLayout.LAYOUT);
        assertLandsLittleEndian(FwRscTraceLayout.LAYOUT, "type", 0);
        assertLandsLittleEndian(FwRscTraceLayout.LAYOUT, "da", 4);
        assertLandsLittleEndian(FwRscTraceLayout.LAYOUT, "len", 8);
        assertLandsLittleEndian(FwRscTraceLayout.LAYOUT, "reserved", 12);
    }

    // ------------------------------------------------------------------ vdev and vring

    @Test
    void vdevFixedPartIs28Bytes() {
        assertThat(FwRscVdevLayout.SIZE).isEqualTo(28);
        assertThat(FwRscVdevLayout.LAYOUT.byteSize()).isEqualTo(28);
        assertThat(FwRscVdevLayout.VRINGS_OFFSET).isEqualTo(28);
    }

    @Test
    void vdevFieldsAreType0Id4Notifyid8Dfeatures12Gfeatures16ConfigLen20() {
        assertThat(FwRscVdevLayout.TYPE_OFFSET).isEqualTo(0);
        assertThat(FwRscVdevLayout.ID_OFFSET).isEqualTo(4);
        assertThat(FwRscVdevLayout.NOTIFYID_OFFSET).isEqualTo(8);
        assertThat(FwRscVdevLayout.DFEATURES_OFFSET).isEqualTo(12);
        assertThat(FwRscVdevLayout.GFEATURES_OFFSET).isEqualTo(16);
        assertThat(FwRscVdevLayout.CONFIG_LEN_OFFSET).isEqualTo(20);
        StructLayout l = FwRscVdevLayout.LAYOUT;
        assertThat(offsetOf(l, "type")).isEqualTo(0);
        assertThat(offsetOf(l, "id")).isEqualTo(4);
        assertThat(offsetOf(l, "notifyid")).isEqualTo(8);
        assertThat(offsetOf(l, "dfeatures")).isEqualTo(12);
        assertThat(offsetOf(l, "gfeatures")).isEqualTo(16);
        assertThat(offsetOf(l, "config_len")).isEqualTo(20);
    }

    @Test
    void vdevStatusIsU8At24NumOfVringsU8At25ReservedTwoU8At26() {
        StructLayout l = FwRscVdevLayout.LAYOUT;
        assertThat(FwRscVdevLayout.STATUS_OFFSET).isEqualTo(24);
        assertThat(FwRscVdevLayout.NUM_OF_VRINGS_OFFSET).isEqualTo(25);
        assertThat(FwRscVdevLayout.RESERVED0_OFFSET).isEqualTo(26);
        assertThat(FwRscVdevLayout.RESERVED1_OFFSET).isEqualTo(27);
        assertThat(offsetOf(l, "status")).isEqualTo(24);
        assertThat(offsetOf(l, "num_of_vrings")).isEqualTo(25);
        assertThat(offsetOf(l, "reserved")).isEqualTo(26);
        assertThat(l.select(groupElement("status")).byteSize()).isEqualTo(1);
        assertThat(l.select(groupElement("num_of_vrings")).byteSize()).isEqualTo(1);
        assertThat(l.select(groupElement("reserved")).byteSize()).isEqualTo(2);
    }

    @Test
    void vdevSizeIs28Plus20PerVringPlusConfigLen() {
        assertThat(FwRscVdevLayout.sizeOf(0, 0)).isEqualTo(28);
        assertThat(FwRscVdevLayout.sizeOf(2, 0)).isEqualTo(68);
        assertThat(FwRscVdevLayout.sizeOf(2, 64)).isEqualTo(132);
        assertThat(FwRscVdevLayout.sizeOf(255, 0xFFFF_FFFFL)).isEqualTo(28 + 20 * 255 + 0xFFFF_FFFFL);
    }

    @Test
    void vringsStartAt28AndConfigFollowsTheVrings() {
        assertThat(FwRscVdevLayout.vringOffset(100, 0)).isEqualTo(128);
        assertThat(FwRscVdevLayout.vringOffset(100, 1)).isEqualTo(148);
        assertThat(FwRscVdevLayout.configOffset(100, 2)).isEqualTo(168);
        assertThat(FwRscVdevLayout.configOffset(76, 2)).isEqualTo(144);
    }

    @Test
    void vdevIsLittleEndianAndValuesLandAtTheirOffsets() {
        StructLayout l = FwRscVdevLayout.LAYOUT;
        assertLittleEndianAndPacked(l);
        assertLandsLittleEndian(l, "type", 0);
        assertLandsLittleEndian(l, "id", 4);
        assertLandsLittleEndian(l, "notifyid", 8);
        assertLandsLittleEndian(l, "dfeatures", 12);
        assertLandsLittleEndian(l, "gfeatures", 16);
        assertLandsLittleEndian(l, "config_len", 20);
    }

    @Test
    void liveStatusAndGfeaturesAccessorsTouchBytes24And16To19() {
        byte[] bytes = new byte[28];
        MemorySegment s = MemorySegment.ofArray(bytes);
        FwRscVdevLayout.statusRelease(s, 0, 0x87);
        FwRscVdevLayout.gfeaturesRelease(s, 0, 0x11223344);
        FwRscVdevLayout.notifyIdRelease(s, 0, 0x55667788);
        assertThat(bytes[24]).isEqualTo((byte) 0x87);
        assertThat(slice(bytes, 16, 4)).containsExactly(hex("44 33 22 11"));
        assertThat(slice(bytes, 8, 4)).containsExactly(hex("88 77 66 55"));
        assertThat(FwRscVdevLayout.statusAcquire(s, 0)).isEqualTo(0x87);
        assertThat(FwRscVdevLayout.gfeaturesAcquire(s, 0)).isEqualTo(0x11223344);
        assertThat(FwRscVdevLayout.notifyIdAcquire(s, 0)).isEqualTo(0x55667788);
    }

    @Test
    void vringIs20BytesWithDa0Align4Num8Notifyid12Reserved16() {
        assertThat(FwRscVdevVringLayout.SIZE).isEqualTo(20);
        assertThat(FwRscVdevVringLayout.LAYOUT.byteSize()).isEqualTo(20);
        assertThat(FwRscVdevVringLayout.DA_OFFSET).isEqualTo(0);
        assertThat(FwRscVdevVringLayout.ALIGN_OFFSET).isEqualTo(4);
        assertThat(FwRscVdevVringLayout.NUM_OFFSET).isEqualTo(8);
        assertThat(FwRscVdevVringLayout.NOTIFYID_OFFSET).isEqualTo(12);
        assertThat(FwRscVdevVringLayout.RESERVED_OFFSET).isEqualTo(16);
        StructLayout l = FwRscVdevVringLayout.LAYOUT;
        assertThat(offsetOf(l, "da")).isEqualTo(0);
        assertThat(offsetOf(l, "align")).isEqualTo(4);
        assertThat(offsetOf(l, "num")).isEqualTo(8);
        assertThat(offsetOf(l, "notifyid")).isEqualTo(12);
        assertThat(offsetOf(l, "reserved")).isEqualTo(16);
    }

    @Test
    void vringIsLittleEndianAndValuesLandAtTheirOffsets() {
        StructLayout l = FwRscVdevVringLayout.LAYOUT;
        assertLittleEndianAndPacked(l);
        assertLandsLittleEndian(l, "da", 0);
        assertLandsLittleEndian(l, "align", 4);
        assertLandsLittleEndian(l, "num", 8);
        assertLandsLittleEndian(l, "notifyid", 12);
        assertLandsLittleEndian(l, "reserved", 16);
    }

    @Test
    void liveVringDaAndNotifyIdAccessorsTouchBytes0To3And12To15() {
        byte[] bytes = new byte[3 + 20];
        MemorySegment s = MemorySegment.ofArray(bytes);
        FwRscVdevVringLayout.daRelease(s, 3, 0x11223344);
        FwRscVdevVringLayout.notifyIdRelease(s, 3, 0x55667788);
        assertThat(slice(bytes, 3, 4)).containsExactly(hex("44 33 22 11"));
        assertThat(slice(bytes, 15, 4)).containsExactly(hex("88 77 66 55"));
        assertThat(FwRscVdevVringLayout.daAcquire(s, 3)).isEqualTo(0x11223344);
        assertThat(FwRscVdevVringLayout.notifyIdAcquire(s, 3)).isEqualTo(0x55667788);
    }

    // ------------------------------------------------------------------ vendor

    @Test
    void vendorIs8BytesWithType0Len4AndDataAt8() {
        assertThat(FwRscVendorLayout.SIZE).isEqualTo(8);
        assertThat(FwRscVendorLayout.LAYOUT.byteSize()).isEqualTo(8);
        assertThat(FwRscVendorLayout.TYPE_OFFSET).isEqualTo(0);
        assertThat(FwRscVendorLayout.LEN_OFFSET).isEqualTo(4);
        assertThat(FwRscVendorLayout.DATA_OFFSET).isEqualTo(8);
        assertThat(offsetOf(FwRscVendorLayout.LAYOUT, "type")).isEqualTo(0);
        assertThat(offsetOf(FwRscVendorLayout.LAYOUT, "len")).isEqualTo(4);
    }

    @Test
    void vendorIsLittleEndianAndValuesLandAtTheirOffsets() {
        assertLittleEndianAndPacked(FwRscVendorLayout.LAYOUT);
        assertLandsLittleEndian(FwRscVendorLayout.LAYOUT, "type", 0);
        assertLandsLittleEndian(FwRscVendorLayout.LAYOUT, "len", 4);
    }

    // ------------------------------------------------------------------ fw_rsc_config

    @Test
    void configIs64Bytes() {
        assertThat(FwRscConfigLayout.SIZE).isEqualTo(64);
        assertThat(FwRscConfigLayout.LAYOUT.byteSize()).isEqualTo(64);
    }

    @Test
    void configFieldsAreH2rSize0R2hSize4H2rAddr8R2hAddr16HostName24RemoteName32Reserved40() {
        assertThat(FwRscConfigLayout.H2R_BUF_SIZE_OFFSET).isEqualTo(0);
        assertThat(FwRscConfigLayout.R2H_BUF_SIZE_OFFSET).isEqualTo(4);
        assertThat(FwRscConfigLayout.H2R_BUF_ADDR_OFFSET).isEqualTo(8);
        assertThat(FwRscConfigLayout.R2H_BUF_ADDR_OFFSET).isEqualTo(16);
        assertThat(FwRscConfigLayout.HOST_CPUNAME_OFFSET).isEqualTo(24);
        assertThat(FwRscConfigLayout.REMOTE_CPUNAME_OFFSET).isEqualTo(32);
        assertThat(FwRscConfigLayout.RESERVED_OFFSET).isEqualTo(40);
        StructLayout l = FwRscConfigLayout.LAYOUT;
        assertThat(offsetOf(l, "h2r_buf_size")).isEqualTo(0);
        assertThat(offsetOf(l, "r2h_buf_size")).isEqualTo(4);
        assertThat(offsetOf(l, "h2r_buf_addr")).isEqualTo(8);
        assertThat(offsetOf(l, "r2h_buf_addr")).isEqualTo(16);
        assertThat(offsetOf(l, "host_cpuname")).isEqualTo(24);
        assertThat(offsetOf(l, "remote_cpuname")).isEqualTo(32);
        assertThat(offsetOf(l, "reserved")).isEqualTo(40);
    }

    @Test
    void configFieldSizesAreU32U32U64U64Eight8AndSixU32() {
        StructLayout l = FwRscConfigLayout.LAYOUT;
        assertThat(l.select(groupElement("h2r_buf_size")).byteSize()).isEqualTo(4);
        assertThat(l.select(groupElement("r2h_buf_size")).byteSize()).isEqualTo(4);
        assertThat(l.select(groupElement("h2r_buf_addr")).byteSize()).isEqualTo(8);
        assertThat(l.select(groupElement("r2h_buf_addr")).byteSize()).isEqualTo(8);
        assertThat(l.select(groupElement("host_cpuname")).byteSize()).isEqualTo(8);
        assertThat(l.select(groupElement("remote_cpuname")).byteSize()).isEqualTo(8);
        assertThat(l.select(groupElement("reserved")).byteSize()).isEqualTo(24);
        assertThat(FwRscConfigLayout.CPUNAME_SIZE).isEqualTo(8);
        assertThat(FwRscConfigLayout.RESERVED_WORDS).isEqualTo(6);
    }

    @Test
    void configIsLittleEndianAndValuesLandAtTheirOffsets() {
        StructLayout l = FwRscConfigLayout.LAYOUT;
        assertLittleEndianAndPacked(l);
        assertLandsLittleEndian(l, "h2r_buf_size", 0);
        assertLandsLittleEndian(l, "r2h_buf_size", 4);
        byte[] bytes = new byte[64];
        l.varHandle(groupElement("r2h_buf_addr")).set(MemorySegment.ofArray(bytes), 0L, 0x1122334455667788L);
        assertThat(slice(bytes, 16, 8)).containsExactly(hex("88 77 66 55 44 33 22 11"));
        assertThat(slice(bytes, 8, 8)).containsOnly((byte) 0);
        assertThat(slice(bytes, 24, 40)).containsOnly((byte) 0);
    }

    // ------------------------------------------------------------------ rptun_rsc_s

    @Test
    void currentGenerationHas3EntriesAndIs264Bytes() {
        Generation g = Generation.CURRENT;
        assertThat(g.entries()).isEqualTo(3);
        assertThat(g.size()).isEqualTo(264);
        assertThat(g.layout().byteSize()).isEqualTo(264);
    }

    @Test
    void currentOffsetsAre16Trace28Vdev76Vring104And124Config144Carveout208() {
        Generation g = Generation.CURRENT;
        assertThat(g.offsetsOffset()).isEqualTo(16);
        assertThat(g.logTraceOffset()).isEqualTo(28);
        assertThat(g.rpmsgVdevOffset()).isEqualTo(76);
        assertThat(g.rpmsgVring0Offset()).isEqualTo(104);
        assertThat(g.rpmsgVring1Offset()).isEqualTo(124);
        assertThat(g.configOffset()).isEqualTo(144);
        assertThat(g.carveoutOffset()).isEqualTo(208);
        StructLayout l = g.layout();
        assertThat(offsetOf(l, "rsc_tbl_hdr")).isEqualTo(0);
        assertThat(offsetOf(l, "offset")).isEqualTo(16);
        assertThat(offsetOf(l, "log_trace")).isEqualTo(28);
        assertThat(offsetOf(l, "rpmsg_vdev")).isEqualTo(76);
        assertThat(offsetOf(l, "rpmsg_vring0")).isEqualTo(104);
        assertThat(offsetOf(l, "rpmsg_vring1")).isEqualTo(124);
        assertThat(offsetOf(l, "config")).isEqualTo(144);
        assertThat(offsetOf(l, "carveout")).isEqualTo(208);
        assertThat(l.select(groupElement("offset")).byteSize()).isEqualTo(12);
    }

    @Test
    void currentHasNoPaddingBecause264IsAMultipleOf8() {
        StructLayout l = Generation.CURRENT.layout();
        assertThat(l.memberLayouts()).noneMatch(PaddingLayout.class::isInstance);
        assertThat(l.memberLayouts().getLast().name()).contains("carveout");
    }

    @Test
    void seedGenerationHas2EntriesAndIs208Bytes() {
        Generation g = Generation.SEED;
        assertThat(g.entries()).isEqualTo(2);
        assertThat(g.size()).isEqualTo(208);
        assertThat(g.layout().byteSize()).isEqualTo(208);
    }

    @Test
    void seedOffsetsAre16Trace24Vdev72Vring100And120Config140() {
        Generation g = Generation.SEED;
        assertThat(g.offsetsOffset()).isEqualTo(16);
        assertThat(g.logTraceOffset()).isEqualTo(24);
        assertThat(g.rpmsgVdevOffset()).isEqualTo(72);
        assertThat(g.rpmsgVring0Offset()).isEqualTo(100);
        assertThat(g.rpmsgVring1Offset()).isEqualTo(120);
        assertThat(g.configOffset()).isEqualTo(140);
        StructLayout l = g.layout();
        assertThat(offsetOf(l, "rsc_tbl_hdr")).isEqualTo(0);
        assertThat(offsetOf(l, "offset")).isEqualTo(16);
        assertThat(offsetOf(l, "log_trace")).isEqualTo(24);
        assertThat(offsetOf(l, "rpmsg_vdev")).isEqualTo(72);
        assertThat(offsetOf(l, "rpmsg_vring0")).isEqualTo(100);
        assertThat(offsetOf(l, "rpmsg_vring1")).isEqualTo(120);
        assertThat(offsetOf(l, "config")).isEqualTo(140);
        assertThat(l.select(groupElement("offset")).byteSize()).isEqualTo(8);
    }

    @Test
    void seedHas204BytesOfFieldsPaddedTo208() {
        StructLayout l = Generation.SEED.layout();
        long fields = l.memberLayouts().stream()
                .filter(m -> !(m instanceof PaddingLayout))
                .mapToLong(MemoryLayout::byteSize)
                .sum();
        assertThat(fields).isEqualTo(204);
        assertThat(l.memberLayouts().getLast()).isInstanceOf(PaddingLayout.class);
        assertThat(l.memberLayouts().getLast().byteSize()).isEqualTo(4);
    }

    @Test
    void seedHasNoCarveoutEntry() {
        assertThatThrownBy(Generation.SEED::carveoutOffset).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void bothGenerationsAre8ByteAlignedInSize() {
        assertThat(RptunRscLayout.ALIGNMENT).isEqualTo(8);
        for (Generation g : Generation.values()) {
            assertThat(g.size() % 8).as("%s", g).isZero();
        }
    }

    @Test
    void bothGenerationsAreLittleEndian() {
        for (Generation g : Generation.values()) {
            assertLittleEndianAndPacked(g.layout());
        }
    }

    @Test
    void currentCarveoutDaWrittenThroughTheLayoutLandsAtByte212() {
        StructLayout l = Generation.CURRENT.layout();
        byte[] bytes = new byte[264];
        l.varHandle(groupElement("carveout"), groupElement("da")).set(MemorySegment.ofArray(bytes), 0L, 0x11223344);
        assertThat(slice(bytes, 212, 4)).containsExactly(hex("44 33 22 11"));
    }

    @Test
    void seedConfigRemoteCpunameStartsAtByte172() {
        StructLayout l = Generation.SEED.layout();
        assertThat(l.byteOffset(groupElement("config"), groupElement("remote_cpuname"))).isEqualTo(172);
        assertThat(l.byteOffset(groupElement("rpmsg_vdev"), groupElement("status"))).isEqualTo(96);
        assertThat(l.byteOffset(groupElement("rpmsg_vring1"), groupElement("notifyid"))).isEqualTo(132);
    }
}
