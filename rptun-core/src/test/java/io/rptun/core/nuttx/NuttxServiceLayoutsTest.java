package io.rptun.core.nuttx;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Pins every size and offset of NuttX's service messages to the C structs (peers.md section 3 and NuttX's
 * headers): the numbers are typed in, never computed from the layouts under test; and the writers put the
 * bytes where a C reader looks for them.
 */
class NuttxServiceLayoutsTest {

    @Test
    void thePingMessageIsSeventeenBytesWithTheCookieAtEightAndTheDataAtSixteen() {
        assertThat(NuttxPingLayout.MIN_SIZE).isEqualTo(17);
        assertThat(NuttxPingLayout.CMD_OFFSET).isZero();
        assertThat(NuttxPingLayout.LEN_OFFSET).isEqualTo(4);
        assertThat(NuttxPingLayout.COOKIE_OFFSET).isEqualTo(8);
        assertThat(NuttxPingLayout.DATA_OFFSET).isEqualTo(16);
        assertThat(NuttxPing.ACK).isEqualTo(0x1);
        assertThat(NuttxPing.CHECK).isEqualTo(0x2);
        assertThat(NuttxPing.RANDOMLEN).isEqualTo(0x4);
        assertThat(NuttxPing.CMD_MASK).isEqualTo(0xF0);
        assertThat(NuttxPing.CMD_REQ).isZero();
        assertThat(NuttxPing.CMD_RSP).isEqualTo(0x20);
        byte[] bytes = new byte[20];
        NuttxPingLayout.write(MemorySegment.ofArray(bytes), 3, 20, 0x0102030405060708L, (byte) 0x5A);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(3);
        assertThat(b.getInt(4)).isEqualTo(20);
        assertThat(b.getLong(8)).isEqualTo(0x0102030405060708L);
        assertThat(bytes[16]).isEqualTo((byte) 0x5A);
        assertThat(bytes[19]).isEqualTo((byte) 0x5A);
    }

    @Test
    void theSyslogMessagesAreAnEightByteHeaderATwelveByteTransferAndASixteenByteSync() {
        assertThat(NuttxSyslogLayout.HEADER_SIZE).isEqualTo(8);
        assertThat(NuttxSyslogLayout.COMMAND_OFFSET).isZero();
        assertThat(NuttxSyslogLayout.RESULT_OFFSET).isEqualTo(4);
        assertThat(NuttxSyslogLayout.COUNT_OFFSET).isEqualTo(8);
        assertThat(NuttxSyslogLayout.TRANSFER_SIZE).isEqualTo(12);
        assertThat(NuttxSyslogLayout.COOKIE_OFFSET).isEqualTo(8);
        assertThat(NuttxSyslogLayout.SYNC_SIZE).isEqualTo(16);
        assertThat(new int[] {NuttxSyslogLayout.TRANSFER, NuttxSyslogLayout.SUSPEND, NuttxSyslogLayout.RESUME,
                NuttxSyslogLayout.SYNC}).containsExactly(0, 1, 2, 3);
        byte[] bytes = new byte[16];
        NuttxSyslogLayout.writeSync(MemorySegment.ofArray(bytes), -2L);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(3);
        assertThat(b.getInt(4)).isZero();
        assertThat(b.getLong(8)).isEqualTo(-2L);
    }

    @Test
    void theTtyHeaderIsSixteenBytesWithTheResponseInBitThirtyOneAndAWriteIsTwentyFour() {
        assertThat(NuttxTtyLayout.HEADER_SIZE).isEqualTo(16);
        assertThat(NuttxTtyLayout.COMMAND_OFFSET).isZero();
        assertThat(NuttxTtyLayout.RESULT_OFFSET).isEqualTo(4);
        assertThat(NuttxTtyLayout.COOKIE_OFFSET).isEqualTo(8);
        assertThat(NuttxTtyLayout.COUNT_OFFSET).isEqualTo(16);
        assertThat(NuttxTtyLayout.RESOLVED_OFFSET).isEqualTo(20);
        assertThat(NuttxTtyLayout.WRITE_SIZE).isEqualTo(24);
        assertThat(NuttxTtyLayout.WRITE_LAYOUT.byteOffset(groupElement("count"))).isEqualTo(16);
        assertThat(NuttxTtyLayout.ENXIO).isEqualTo(-6);
        byte[] bytes = new byte[24];
        MemorySegment m = MemorySegment.ofArray(bytes);
        NuttxTtyLayout.writeWrite(m, true, 5, 0x1122334455667788L, 9);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(0x8000_0000);
        assertThat(b.getInt(4)).isEqualTo(5);
        assertThat(b.getLong(8)).isEqualTo(0x1122334455667788L);
        assertThat(b.getInt(16)).isEqualTo(9);
        assertThat(b.getInt(20)).isZero();
        assertThat(NuttxTtyLayout.response(m)).isTrue();
        assertThat(NuttxTtyLayout.command(m)).isZero();
        NuttxTtyLayout.writeHeader(m, NuttxTtyLayout.WAKEUP, false, 0, 0);
        assertThat(b.getInt(0)).isEqualTo(1);
        assertThat(NuttxTtyLayout.response(m)).isFalse();
    }
}
