package io.rptun.core.rsc;

import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_ROLE;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VERSION;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VRING_ALIGN;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VRING_NUM;
import static io.rptun.core.rsc.ResourceTableException.Reason.ENTRIES_OVERLAP;
import static io.rptun.core.rsc.ResourceTableException.Reason.ENTRY_TRUNCATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.NAME_NOT_TERMINATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.OFFSETS_TRUNCATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.OFFSET_OUT_OF_BOUNDS;
import static io.rptun.core.rsc.ResourceTableException.Reason.RESERVED_NOT_ZERO;
import static io.rptun.core.rsc.ResourceTableException.Reason.TRUNCATED_HEADER;
import static io.rptun.core.rsc.ResourceTableException.Reason.UNKNOWN_TYPE;
import static io.rptun.core.rsc.ResourceTableException.Reason.VENDOR_REJECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.rptun.core.rsc.ResourceTableException.Reason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ResourceTableParser} on hand-built tables: one test (or parameterized family) per rejection
 * reason, each pinning both {@code reason()} and {@code offset()} (the offending field's byte offset from
 * the table start), plus the accepted shapes.
 *
 * <p>Offsets used below (docs/protocols.md section 1): header 16 bytes then 4 per entry offset; with one
 * entry, the entry sits at 20. Carveout/devmem reserved at +20, name at +24; trace reserved at +12, name at
 * +16; vdev status +24, num_of_vrings +25, reserved[0] +26, reserved[1] +27, vrings from +28 (20 each:
 * align +4, num +8, reserved +16); vendor len at +4.
 */
class ResourceTableParserTest {
    private static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Where the only entry of a one-entry table starts. */
    private static final int E = 20;

    // ------------------------------------------------------------------ raw table builder

    /** A table written byte by byte, independently of {@link ResourceTableWriter}. */
    static final class Raw {
        final byte[] b;

        private Raw(int size) {
            b = new byte[size];
        }

        /** {@code size} bytes: ver 1, num = offsets.length, the offsets; everything else zero. */
        static Raw table(int size, long... offsets) {
            Raw t = new Raw(size);
            t.u32(0, 1).u32(4, offsets.length);
            for (int i = 0; i < offsets.length; i++) {
                t.u32(16 + 4L * i, offsets[i]);
            }
            return t;
        }

        Raw u32(long at, long value) {
            MemorySegment.ofArray(b).set(LE_U32, at, (int) value);
            return this;
        }

        Raw u8(long at, int value) {
            b[(int) at] = (byte) value;
            return this;
        }

        Raw bytes(long at, byte... data) {
            System.arraycopy(data, 0, b, (int) at, data.length);
            return this;
        }

        Raw name(long at, String name) {
            return bytes(at, name.getBytes(StandardCharsets.ISO_8859_1));
        }

        Raw carveout(long at) {
            return u32(at, 0).u32(at + 4, 0x1000).u32(at + 8, 0x2000).u32(at + 12, 0x100).name(at + 24, "carve");
        }

        Raw devmem(long at) {
            return u32(at, 1).u32(at + 4, 0x5000).u32(at + 8, 0x6000).u32(at + 12, 0x200).name(at + 24, "dev");
        }

        Raw trace(long at) {
            return u32(at, 2).u32(at + 4, 0x3000).u32(at + 8, 0x40).name(at + 16, "trace");
        }

        /** An rpmsg vdev with {@code vrings} valid vrings (num 8, align 8, da and notify id ANY). */
        Raw vdev(long at, int vrings, long configLen) {
            u32(at, 3).u32(at + 4, 7).u32(at + 8, 0xFFFF_FFFFL).u32(at + 12, 1).u32(at + 20, configLen);
            u8(at + 25, vrings);
            for (int v = 0; v < vrings; v++) {
                long vr = at + 28 + 20L * v;
                if (vr + 20 <= b.length) {
                    u32(vr, 0xFFFF_FFFFL).u32(vr + 4, 8).u32(vr + 8, 8).u32(vr + 12, 0xFFFF_FFFFL);
                }
            }
            return this;
        }

        Raw vendor(long at, long type, byte... data) {
            return u32(at, type).u32(at + 4, data.length).bytes(at + 8, data);
        }

        MemorySegment segment() {
            return MemorySegment.ofArray(b);
        }
    }

    private static ParsedResourceTable parse(Raw t, ParseMode mode) {
        return ResourceTableParser.parse(t.segment(), mode);
    }

    private static ResourceTableException rejection(Raw t, ParseMode mode, VendorResourceHook hook) {
        ResourceTableException e = catchThrowableOfType(ResourceTableException.class,
                () -> ResourceTableParser.parse(t.segment(), mode, hook));
        assertThat(e).as("parse must fail").isNotNull();
        return e;
    }

    private static ResourceTableException assertRejected(Raw t, ParseMode mode, Reason reason, long offset) {
        ResourceTableException e = rejection(t, mode, VendorResourceHook.acceptAll());
        assertThat(e.reason()).as("reason (%s)", e.getMessage()).isEqualTo(reason);
        assertThat(e.offset()).as("offset (%s)", e.getMessage()).isEqualTo(offset);
        return e;
    }

    private static void assertRejectedInBothModes(Raw t, Reason reason, long offset) {
        for (ParseMode mode : ParseMode.values()) {
            assertRejected(t, mode, reason, offset);
        }
    }

    // ------------------------------------------------------------------ TRUNCATED_HEADER

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 8, 15})
    void bufferShorterThan16BytesIsATruncatedHeaderAtOffset0(int size) {
        byte[] bytes = new byte[size];
        if (size >= 4) {
            bytes[0] = 1;
        }
        for (ParseMode mode : ParseMode.values()) {
            ResourceTableException e = catchThrowableOfType(ResourceTableException.class,
                    () -> ResourceTableParser.parse(MemorySegment.ofArray(bytes), mode));
            assertThat(e.reason()).isEqualTo(TRUNCATED_HEADER);
            assertThat(e.offset()).isZero();
        }
    }

    // ------------------------------------------------------------------ BAD_VERSION

    @ParameterizedTest
    @ValueSource(longs = {0, 2, 0x100, 0xFFFF_FFFFL})
    void versionOtherThan1IsBadVersionAtOffset0(long ver) {
        assertRejectedInBothModes(Raw.table(16).u32(0, ver), BAD_VERSION, 0);
    }

    @Test
    void versionIsCheckedBeforeTheReservedWords() {
        assertRejected(Raw.table(16).u32(0, 2).u32(8, 1).u32(12, 1), ParseMode.OPENAMP, BAD_VERSION, 0);
    }

    // ------------------------------------------------------------------ RESERVED_NOT_ZERO

    @Test
    void headerReserved0NotZeroIsRejectedAtOffset8InOpenAmpMode() {
        assertRejected(Raw.table(16).u32(8, 0x0001_0000), ParseMode.OPENAMP, RESERVED_NOT_ZERO, 8);
    }

    @Test
    void headerReserved1NotZeroIsRejectedAtOffset12InOpenAmpMode() {
        assertRejected(Raw.table(16).u32(12, 0xFFFF_0000L), ParseMode.OPENAMP, RESERVED_NOT_ZERO, 12);
    }

    @Test
    void headerReservedWordsAreCheckedBeforeTheOffsetArray() {
        assertRejected(Raw.table(16).u32(4, 5).u32(8, 1), ParseMode.OPENAMP, RESERVED_NOT_ZERO, 8);
    }

    @Test
    void headerReservedWordsAreAcceptedAsTheMailboxInNuttxMode() {
        ParsedResourceTable parsed = parse(Raw.table(16).u32(8, 0x0003_0000).u32(12, 0xFFFF_FFFFL), ParseMode.NUTTX);
        assertThat(parsed.table().reserved0()).isEqualTo(0x0003_0000);
        assertThat(parsed.table().reserved1()).isEqualTo(0xFFFF_FFFF);
    }

    @Test
    void carveoutReservedNotZeroIsRejectedAtEntryPlus20InOpenAmpMode() {
        Raw t = Raw.table(E + 56, E).carveout(E).u32(E + 20, 1);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 20);
        assertThat(((CarveoutResource) parse(t, ParseMode.NUTTX).table().entries().getFirst()).reserved())
                .isEqualTo(1);
    }

    @Test
    void devmemReservedNotZeroIsRejectedAtEntryPlus20InOpenAmpMode() {
        Raw t = Raw.table(E + 56, E).devmem(E).u32(E + 20, 0x8000_0000L);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 20);
        assertThat(((DevmemResource) parse(t, ParseMode.NUTTX).table().entries().getFirst()).reserved())
                .isEqualTo(0x8000_0000);
    }

    @Test
    void traceReservedNotZeroIsRejectedAtEntryPlus12InOpenAmpMode() {
        Raw t = Raw.table(E + 48, E).trace(E).u32(E + 12, 7);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 12);
        assertThat(((TraceResource) parse(t, ParseMode.NUTTX).table().entries().getFirst()).reserved())
                .isEqualTo(7);
    }

    @Test
    void vdevReserved0NotZeroIsRejectedAtEntryPlus26InOpenAmpMode() {
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u8(E + 26, 1);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 26);
        assertThat(parse(t, ParseMode.NUTTX).table().vdevs().getFirst().reserved0())
                .isEqualTo(FwRscVdevLayout.ROLE_DEVICE);
    }

    @Test
    void vdevReserved1NotZeroIsRejectedAtEntryPlus27InOpenAmpMode() {
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u8(E + 27, 0xAB);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 27);
        assertThat(parse(t, ParseMode.NUTTX).table().vdevs().getFirst().reserved1()).isEqualTo(0xAB);
    }

    @Test
    void vringReservedNotZeroIsRejectedAtVringPlus16InOpenAmpMode() {
        long vring1 = E + 28 + 20;
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u32(vring1 + 16, 0x55);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, vring1 + 16);
        assertThat(parse(t, ParseMode.NUTTX).table().vdevs().getFirst().vrings().get(1).reserved()).isEqualTo(0x55);
    }

    // ------------------------------------------------------------------ OFFSETS_TRUNCATED

    @Test
    void oneOffsetInA16ByteTableIsOffsetsTruncatedAtNum() {
        assertRejectedInBothModes(Raw.table(16).u32(4, 1), OFFSETS_TRUNCATED, 4);
    }

    @Test
    void numOneMoreThanTheTableHoldsIsOffsetsTruncatedAtNum() {
        // 24 bytes hold the header and two offsets, not three
        assertRejectedInBothModes(Raw.table(24).u32(4, 3), OFFSETS_TRUNCATED, 4);
    }

    @ParameterizedTest
    @ValueSource(longs = {0x4000_0000L, 0x8000_0000L, 0xFFFF_FFFFL})
    void hugeNumIsOffsetsTruncatedAtNumWithoutOverflow(long num) {
        assertRejectedInBothModes(Raw.table(256).u32(4, num), OFFSETS_TRUNCATED, 4);
    }

    // ------------------------------------------------------------------ OFFSET_OUT_OF_BOUNDS

    @ParameterizedTest
    @ValueSource(longs = {0, 4, 8, 12, 16, 19})
    void offsetIntoTheHeaderOrOffsetArrayIsOutOfBoundsAtItsSlot(long offset) {
        assertRejectedInBothModes(Raw.table(128, offset), OFFSET_OUT_OF_BOUNDS, 16);
    }

    @ParameterizedTest
    @ValueSource(longs = {128, 129, 4096, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL})
    void offsetAtOrPastTheEndIsOutOfBoundsAtItsSlot(long offset) {
        assertRejectedInBothModes(Raw.table(128, offset), OFFSET_OUT_OF_BOUNDS, 16);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void offsetInTheLastThreeBytesIsOutOfBoundsAtItsSlot(int fromEnd) {
        assertRejectedInBothModes(Raw.table(128, 128 - fromEnd), OFFSET_OUT_OF_BOUNDS, 16);
    }

    @Test
    void offsetOfTheLastFourBytesHoldsATypeSoTheEntryItselfIsTruncated() {
        assertRejectedInBothModes(Raw.table(128, 124).u32(124, 2), ENTRY_TRUNCATED, 124);
    }

    @Test
    void badSecondOffsetIsReportedAtTheSecondSlot() {
        Raw t = Raw.table(24 + 48, 24, 8).trace(24);
        assertRejectedInBothModes(t, OFFSET_OUT_OF_BOUNDS, 20);
    }

    // ------------------------------------------------------------------ UNKNOWN_TYPE

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 127, 513, 0x8000_0000L, 0xFFFF_FFFFL})
    void typeNeitherStandardNorVendorIsUnknownAtTheEntryType(long type) {
        assertRejectedInBothModes(Raw.table(E + 64, E).u32(E, type), UNKNOWN_TYPE, E);
    }

    @Test
    void unknownTypeOfASecondEntryIsReportedAtThatEntry() {
        Raw t = Raw.table(24 + 48 + 16, 24, 72).trace(24).u32(72, 127);
        assertRejectedInBothModes(t, UNKNOWN_TYPE, 72);
    }

    // ------------------------------------------------------------------ ENTRY_TRUNCATED

    @Test
    void carveoutOneByteShortIsTruncatedAtTheEntry() {
        assertRejectedInBothModes(Raw.table(E + 55, E).u32(E, 0), ENTRY_TRUNCATED, E);
        assertThatCode(() -> parse(Raw.table(E + 56, E).carveout(E), ParseMode.OPENAMP)).doesNotThrowAnyException();
    }

    @Test
    void devmemOneByteShortIsTruncatedAtTheEntry() {
        assertRejectedInBothModes(Raw.table(E + 55, E).u32(E, 1), ENTRY_TRUNCATED, E);
        assertThatCode(() -> parse(Raw.table(E + 56, E).devmem(E), ParseMode.OPENAMP)).doesNotThrowAnyException();
    }

    @Test
    void traceOneByteShortIsTruncatedAtTheEntry() {
        assertRejectedInBothModes(Raw.table(E + 47, E).u32(E, 2), ENTRY_TRUNCATED, E);
        assertThatCode(() -> parse(Raw.table(E + 48, E).trace(E), ParseMode.OPENAMP)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 20, 27})
    void vdevWhoseFixedPartDoesNotFitIsTruncatedAtTheEntry(int room) {
        assertRejectedInBothModes(Raw.table(E + room, E).u32(E, 3), ENTRY_TRUNCATED, E);
    }

    @Test
    void vdevWhoseVringsDoNotFitIsTruncatedAtTheEntry() {
        assertRejectedInBothModes(Raw.table(E + 28 + 39, E).vdev(E, 2, 0), ENTRY_TRUNCATED, E);
        assertRejectedInBothModes(Raw.table(E + 28 + 19, E).vdev(E, 1, 0), ENTRY_TRUNCATED, E);
        assertRejectedInBothModes(Raw.table(E + 28 + 20 * 255 - 1, E).vdev(E, 255, 0), ENTRY_TRUNCATED, E);
        assertThatCode(() -> parse(Raw.table(E + 68, E).vdev(E, 2, 0), ParseMode.OPENAMP)).doesNotThrowAnyException();
    }

    @Test
    void vdevWhoseConfigSpaceDoesNotFitIsTruncatedAtTheEntry() {
        assertRejectedInBothModes(Raw.table(E + 68 + 63, E).vdev(E, 2, 64), ENTRY_TRUNCATED, E);
        assertThat(parse(Raw.table(E + 68 + 64, E).vdev(E, 2, 64), ParseMode.OPENAMP).table().vdevs().getFirst()
                .config().length()).isEqualTo(64);
    }

    @ParameterizedTest
    @ValueSource(longs = {0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFF0L, 0xFFFF_FFFFL})
    void vdevWithAHugeConfigLenIsTruncatedAtTheEntry(long configLen) {
        assertRejectedInBothModes(Raw.table(E + 68 + 64, E).vdev(E, 2, configLen), ENTRY_TRUNCATED, E);
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 7})
    void vendorWhoseHeaderDoesNotFitIsTruncatedAtTheEntry(int room) {
        assertRejectedInBothModes(Raw.table(E + room, E).u32(E, 128), ENTRY_TRUNCATED, E);
    }

    @Test
    void vendorWhoseDataRunsOneBytePastTheEndIsTruncatedAtTheEntry() {
        Raw t = Raw.table(E + 8 + 7, E).u32(E, 200).u32(E + 4, 8);
        assertRejectedInBothModes(t, ENTRY_TRUNCATED, E);
    }

    @ParameterizedTest
    @ValueSource(longs = {0x7FFF_FFF8L, 0x8000_0000L, 0xFFFF_FFF8L, 0xFFFF_FFFFL})
    void vendorWithAHugeLenIsTruncatedAtTheEntry(long len) {
        Raw t = Raw.table(E + 64, E).u32(E, 512).u32(E + 4, len);
        assertRejectedInBothModes(t, ENTRY_TRUNCATED, E);
    }

    // ------------------------------------------------------------------ ENTRIES_OVERLAP

    @Test
    void secondEntryStartingInsideTheFirstOverlapsAtTheSecond() {
        // trace at 24 covers [24, 72); the second starts on its last byte
        Raw t = Raw.table(71 + 48, 24, 71).trace(24).trace(71);
        assertRejectedInBothModes(t, ENTRIES_OVERLAP, 71);
    }

    @Test
    void twoEntriesAtTheSameOffsetOverlap() {
        Raw t = Raw.table(24 + 48, 24, 24).trace(24);
        assertRejectedInBothModes(t, ENTRIES_OVERLAP, 24);
    }

    @Test
    void laterEntryEndingInsideAnEarlierOneOverlapsAtTheLaterEntry() {
        // entry 0 at 80, entry 1 at 40 covers [40, 88) and runs into it
        Raw t = Raw.table(80 + 48, 80, 40).trace(80).trace(40);
        assertRejectedInBothModes(t, ENTRIES_OVERLAP, 40);
    }

    @Test
    void entryStartingInsideAVdevsConfigSpaceOverlaps() {
        // vdev at 24: 28 + 2·20 + 64 = 132 bytes, [24, 156)
        Raw t = Raw.table(152 + 48, 24, 152).vdev(24, 2, 64).trace(152);
        assertRejectedInBothModes(t, ENTRIES_OVERLAP, 152);
    }

    @Test
    void adjacentEntriesDoNotOverlap() {
        ParsedResourceTable parsed = parse(Raw.table(24 + 48 + 48, 24, 72).trace(24).trace(72), ParseMode.OPENAMP);
        assertThat(parsed.entryOffsets()).containsExactly(24L, 72L);
    }

    // ------------------------------------------------------------------ NAME_NOT_TERMINATED

    private static String thirtyTwoChars() {
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    }

    @Test
    void traceNameWithoutNulIsNotTerminatedAtTheName() {
        Raw t = Raw.table(E + 48, E).trace(E).name(E + 16, thirtyTwoChars());
        assertRejectedInBothModes(t, NAME_NOT_TERMINATED, E + 16);
    }

    @Test
    void carveoutNameWithoutNulIsNotTerminatedAtTheName() {
        Raw t = Raw.table(E + 56, E).carveout(E).name(E + 24, thirtyTwoChars());
        assertRejectedInBothModes(t, NAME_NOT_TERMINATED, E + 24);
    }

    @Test
    void devmemNameWithoutNulIsNotTerminatedAtTheName() {
        Raw t = Raw.table(E + 56, E).devmem(E).name(E + 24, thirtyTwoChars());
        assertRejectedInBothModes(t, NAME_NOT_TERMINATED, E + 24);
    }

    @Test
    void nameOf31BytesAndANulIsAccepted() {
        String name = thirtyTwoChars().substring(0, 31);
        Raw t = Raw.table(E + 56, E).carveout(E).name(E + 24, name);
        assertThat(((CarveoutResource) parse(t, ParseMode.OPENAMP).table().entries().getFirst()).name())
                .isEqualTo(name);
    }

    // ------------------------------------------------------------------ BAD_VRING_NUM / BAD_VRING_ALIGN

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 6, 65536, 0x8000_0000L, 0xFFFF_FFFFL})
    void vringNumNotAPowerOfTwoUpTo32768IsBadAtTheNumField(long num) {
        long vring1 = E + 28 + 20;
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u32(vring1 + 8, num);
        assertRejectedInBothModes(t, BAD_VRING_NUM, vring1 + 8);
    }

    @Test
    void vringNum32768IsAccepted() {
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u32(E + 28 + 8, 32768).u32(E + 48 + 8, 1);
        assertThat(parse(t, ParseMode.OPENAMP).table().vdevs().getFirst().vrings())
                .extracting(VringResource::num).containsExactly(32768, 1);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 0x1001, 0xFFFF_FFFFL})
    void vringAlignNotAPowerOfTwoIsBadAtTheAlignField(long align) {
        long vring0 = E + 28;
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u32(vring0 + 4, align);
        assertRejectedInBothModes(t, BAD_VRING_ALIGN, vring0 + 4);
    }

    // ------------------------------------------------------------------ BAD_ROLE

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 0x80, 0xFF})
    void nuttxMasterRoleOtherThan0Or1IsBadRoleAtVdevReserved0(int role) {
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0).u8(E + 26, role);
        assertRejected(t, ParseMode.NUTTX, BAD_ROLE, E + 26);
        assertRejected(t, ParseMode.OPENAMP, RESERVED_NOT_ZERO, E + 26);
    }

    // ------------------------------------------------------------------ VENDOR_REJECTED

    @Test
    void rejectAllHookRejectsAVendorEntryAtItsOffset() {
        Raw t = Raw.table(24 + 48 + 12, 24, 72).trace(24).vendor(72, 300, (byte) 1, (byte) 2, (byte) 3, (byte) 4);
        for (ParseMode mode : ParseMode.values()) {
            ResourceTableException e = rejection(t, mode, VendorResourceHook.rejectAll());
            assertThat(e.reason()).isEqualTo(VENDOR_REJECTED);
            assertThat(e.offset()).isEqualTo(72);
        }
    }

    @Test
    void hookThrowingIllegalStateExceptionIsWrappedAsVendorRejectedAtTheEntry() {
        IllegalStateException failure = new IllegalStateException("hook broke");
        Raw t = Raw.table(E + 8, E).vendor(E, 128);
        ResourceTableException e = rejection(t, ParseMode.OPENAMP, (offset, resource) -> {
            throw failure;
        });
        assertThat(e.reason()).isEqualTo(VENDOR_REJECTED);
        assertThat(e.offset()).isEqualTo(E);
        assertThat(e.getCause()).isSameAs(failure);
    }

    @Test
    void hookThrowingAResourceTableExceptionPassesItThroughUnchanged() {
        ResourceTableException own = new ResourceTableException(Reason.NOT_STANDARD, 1234, "mine");
        Raw t = Raw.table(E + 8, E).vendor(E, 128);
        ResourceTableException e = rejection(t, ParseMode.NUTTX, (offset, resource) -> {
            throw own;
        });
        assertThat(e).isSameAs(own);
    }

    @Test
    void acceptAllHookKeepsVendorEntries() {
        Raw t = Raw.table(E + 10, E).vendor(E, 512, (byte) 0xAA, (byte) 0xBB);
        assertThat(parse(t, ParseMode.OPENAMP).table().vendors())
                .containsExactly(new VendorResource(512, RawBytes.of((byte) 0xAA, (byte) 0xBB)));
    }

    // ------------------------------------------------------------------ accepted tables

    @ParameterizedTest
    @EnumSource(ParseMode.class)
    void emptyTableWithNum0ParsesToNoEntries(ParseMode mode) {
        ParsedResourceTable parsed = parse(Raw.table(16), mode);
        assertThat(parsed.table().entries()).isEmpty();
        assertThat(parsed.entryOffsets()).isEmpty();
        assertThat(parsed.extent()).isEqualTo(16);
    }

    @Test
    void emptyTableInALargerBufferStillHasExtent16() {
        assertThat(parse(Raw.table(4096), ParseMode.OPENAMP).extent()).isEqualTo(16);
    }

    @Test
    void vendorEntriesReachTheHookInTableOrderWithTheirOffsets() {
        // offsets listed [104, 32, 44, 92]: vendor 300 at 104, vendor 128 at 32, trace at 44, vendor 512 at 92
        Raw t = Raw.table(120, 104, 32, 44, 92)
                .vendor(104, 300, (byte) 9, (byte) 8, (byte) 7)
                .vendor(32, 128, (byte) 1, (byte) 2, (byte) 3, (byte) 4)
                .trace(44)
                .vendor(92, 512);
        record Seen(long offset, VendorResource resource) {
        }
        List<Seen> seen = new ArrayList<>();
        ParsedResourceTable parsed = ResourceTableParser.parse(t.segment(), ParseMode.OPENAMP,
                (offset, resource) -> seen.add(new Seen(offset, resource)));
        VendorResource v300 = new VendorResource(300, RawBytes.of((byte) 9, (byte) 8, (byte) 7));
        VendorResource v128 = new VendorResource(128, RawBytes.of((byte) 1, (byte) 2, (byte) 3, (byte) 4));
        VendorResource v512 = new VendorResource(512, RawBytes.empty());
        assertThat(seen).containsExactly(new Seen(104, v300), new Seen(32, v128), new Seen(92, v512));
        assertThat(parsed.table().vendors()).containsExactly(v300, v128, v512);
        assertThat(parsed.entryOffsets()).containsExactly(104L, 32L, 44L, 92L);
        assertThat(parsed.extent()).isEqualTo(115);
    }

    @Test
    void nuttxMailboxWordsDecodeAsCommands() {
        Raw t = Raw.table(16)
                .u32(8, (long) NuttxCommand.READY << 16 | 0x0102)
                .u32(12, (long) NuttxCommand.ACK << 16);
        ResourceTable table = parse(t, ParseMode.NUTTX).table();
        assertThat(table.masterCommand()).isEqualTo(new NuttxCommand(NuttxCommand.READY, 0x0102));
        assertThat(table.slaveCommand()).isEqualTo(new NuttxCommand(NuttxCommand.ACK, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {NuttxCommand.DONE, NuttxCommand.READY, NuttxCommand.PANIC, NuttxCommand.RESET,
            NuttxCommand.STOP, NuttxCommand.ACK})
    void everyMailboxCommandRoundTripsThroughTheLiveTable(int cmd) {
        Raw t = Raw.table(E + 68, E).vdev(E, 2, 0);
        MemorySegment segment = t.segment();
        LiveResourceTable live = ResourceTableParser.parse(segment, ParseMode.NUTTX).attach(segment);
        live.setMasterCommand(new NuttxCommand(cmd, 5));
        live.setSlaveCommand(new NuttxCommand(cmd, 0xFFFF));
        assertThat(segment.get(LE_U32, 8)).isEqualTo(cmd << 16 | 5);
        assertThat(segment.get(LE_U32, 12)).isEqualTo(cmd << 16 | 0xFFFF);
        assertThat(live.masterCommand()).isEqualTo(new NuttxCommand(cmd, 5));
        assertThat(live.slaveCommand()).isEqualTo(new NuttxCommand(cmd, 0xFFFF));
        ResourceTable reparsed = live.snapshot(ParseMode.NUTTX).table();
        assertThat(reparsed.masterCommand()).isEqualTo(new NuttxCommand(cmd, 5));
        assertThat(reparsed.slaveCommand()).isEqualTo(new NuttxCommand(cmd, 0xFFFF));
    }

    @Test
    void tableAtTheStartOfALargerSegmentParsesAndExtentEndsAtItsLastEntry() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(4096, 8);
            big.fill((byte) 0xEE);
            Raw t = Raw.table(24 + 48 + 68, 24, 72).trace(24).vdev(72, 2, 0);
            MemorySegment.copy(t.b, 0, big, ValueLayout.JAVA_BYTE, 0, t.b.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(big, ParseMode.OPENAMP);
            assertThat(parsed.entryOffsets()).containsExactly(24L, 72L);
            assertThat(parsed.extent()).isEqualTo(140);
            assertThat(parsed.table()).isEqualTo(parse(t, ParseMode.OPENAMP).table());
        }
    }

    @Test
    void tableInASliceInTheMiddleOfALargerSegmentParsesWithOffsetsFromTheSliceStart() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(4096, 8);
            big.fill((byte) 0xEE);
            Raw t = Raw.table(20 + 56, 20).carveout(20);
            MemorySegment slice = big.asSlice(1001, 1000);
            MemorySegment.copy(t.b, 0, slice, ValueLayout.JAVA_BYTE, 0, t.b.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(slice, ParseMode.OPENAMP);
            assertThat(parsed.entryOffsets()).containsExactly(20L);
            assertThat(parsed.extent()).isEqualTo(76);
            assertThat(parsed.table().carveouts())
                    .containsExactly(new CarveoutResource(0x1000, 0x2000, 0x100, 0, 0, "carve"));
            assertThat(parsed.attach(slice).parsed()).isSameAs(parsed);
        }
    }

    @Test
    void entryRunningPastTheSliceIsTruncatedEvenWhenTheBackingMemoryContinues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(4096, 8);
            Raw t = Raw.table(20 + 56, 20).carveout(20);
            MemorySegment.copy(t.b, 0, big, ValueLayout.JAVA_BYTE, 0, t.b.length);
            ResourceTableException e = catchThrowableOfType(ResourceTableException.class,
                    () -> ResourceTableParser.parse(big.asSlice(0, 75), ParseMode.OPENAMP));
            assertThat(e.reason()).isEqualTo(ENTRY_TRUNCATED);
            assertThat(e.offset()).isEqualTo(20);
        }
    }

    @Test
    void entriesListedInNonSortedOffsetOrderKeepTableOrder() {
        // carveout at 200, trace at 28, devmem at 120, gaps between them
        Raw t = Raw.table(256, 200, 28, 120).carveout(200).trace(28).devmem(120);
        ParsedResourceTable parsed = parse(t, ParseMode.OPENAMP);
        assertThat(parsed.table().entries()).extracting(ResourceEntry::type)
                .containsExactly(FwRscHdrLayout.RSC_CARVEOUT, FwRscHdrLayout.RSC_TRACE, FwRscHdrLayout.RSC_DEVMEM);
        assertThat(parsed.entryOffsets()).containsExactly(200L, 28L, 120L);
        assertThat(parsed.carveoutOffset(0)).isEqualTo(200);
        assertThat(parsed.extent()).isEqualTo(256);
        assertThat(parsed.table().entries().get(1)).isEqualTo(new TraceResource(0x3000, 0x40, 0, "trace"));
        assertThat(parsed.table().entries().get(2))
                .isEqualTo(new DevmemResource(0x5000, 0x6000, 0x200, 0, 0, "dev"));
    }

    @Test
    void entryAtAnOddOffsetParsesBecauseStructsArePacked() {
        Raw t = Raw.table(21 + 68, 21).vdev(21, 2, 0);
        ParsedResourceTable parsed = parse(t, ParseMode.OPENAMP);
        assertThat(parsed.entryOffsets()).containsExactly(21L);
        assertThat(parsed.extent()).isEqualTo(89);
        assertThat(parsed.table().vdevs().getFirst().vrings()).hasSize(2);
    }

    @Test
    void vdevWithoutVringsParses() {
        Raw t = Raw.table(E + 28, E).vdev(E, 0, 0);
        assertThat(parse(t, ParseMode.OPENAMP).table().vdevs().getFirst().vrings()).isEmpty();
    }

    @Test
    void tableWrittenByTheWriterParsesBackToItselfInBothModes() {
        ResourceTable table = ResourceTable.of(
                new TraceResource(0x3000, 0x40, 0, "trace"),
                VdevResource.rpmsg(1, List.of(VringResource.allocated(8, 8), VringResource.allocated(8, 8)),
                        RawBytes.of((byte) 1, (byte) 2, (byte) 3)),
                new VendorResource(129, RawBytes.of((byte) 5)),
                CarveoutResource.of("shm", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x4_0000));
        byte[] bytes = ResourceTableWriter.toBytes(table);
        for (ParseMode mode : ParseMode.values()) {
            ParsedResourceTable parsed = ResourceTableParser.parse(MemorySegment.ofArray(bytes), mode);
            assertThat(parsed.table()).isEqualTo(table);
            assertThat(parsed.extent()).isEqualTo(bytes.length);
        }
    }
}
