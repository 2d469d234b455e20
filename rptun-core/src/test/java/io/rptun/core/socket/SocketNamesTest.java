package io.rptun.core.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SocketNamesTest {

    @Test
    void nuttxCrc32StartsAtZeroAndIsNotComplemented() {
        assertThat(SocketNames.crc32("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x2DFD2D88);
        assertThat(SocketNames.crc32(new byte[0])).isZero();
    }

    @Test
    void aNameOfUpToTenCharactersIsUsedWhole() {
        assertThat(SocketNames.format("0123456789")).isEqualTo("s:0123456789");
        assertThat(SocketNames.format("echo", ":1f")).isEqualTo("s:echo:1f");
    }

    @Test
    void aLongerNameBecomesItsFirstTwoCharactersAndTheCrcInHex() {
        assertThat(SocketNames.format("a-rather-long-name")).isEqualTo("s:a-a77a285d");
        assertThat(SocketNames.format("a-rather-long-name", ":ffffffff")).isEqualTo("s:a-a77a285d:ffffffff");
    }

    @Test
    void aListenerMatchesEveryAnnouncementStartingWithItsNameAsNuttxDoes() {
        assertThat(SocketNames.matches("echo", "s:echo:3")).isTrue();
        assertThat(SocketNames.matches("echo", "s:echoes:3")).isTrue();
        assertThat(SocketNames.matches("echo", "s:ech:3")).isFalse();
        assertThat(SocketNames.matches("echo", "echo")).isFalse();
    }

    @Test
    void namesMustBePrintableAsciiOfAtMost107Characters() {
        assertThatThrownBy(() -> SocketNames.check("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocketNames.check("x".repeat(108))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocketNames.check("caf\u00e9")).isInstanceOf(IllegalArgumentException.class);
        assertThat(SocketNames.check("x".repeat(107))).hasSize(107);
    }

    @Test
    void theLayoutsHaveNuttxsSizesAndOffsets() {
        assertThat(SocketMessageLayout.SYNC_BYTES).isEqualTo(20);
        assertThat(SocketMessageLayout.DATA_HEADER_BYTES).isEqualTo(12);
        assertThat(SocketMessageLayout.SHUTDOWN_BYTES).isEqualTo(8);
        assertThat(SocketMessageLayout.SYNC_GID_OFFSET).isEqualTo(16);
        assertThat(SocketMessageLayout.DATA_LEN_OFFSET).isEqualTo(8);
        MemorySegment m = MemorySegment.ofArray(new byte[20]);
        SocketMessageLayout.writeSync(m, 1024, 5, 6, 7);
        assertThat(m.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(SocketTestSupport.message(1, 1024, 5,
                6, 7));
    }
}
