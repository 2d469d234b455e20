package io.rptun.core.socket;

import static io.rptun.core.socket.SocketMessageLayout.CMD_DATA;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SHUTDOWN;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SYNC;
import static io.rptun.core.socket.SocketTestSupport.WAIT;
import static io.rptun.core.socket.SocketTestSupport.awaitTrue;
import static io.rptun.core.socket.SocketTestSupport.message;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.socket.SocketException.Reason;
import io.rptun.core.socket.SocketTestSupport.Pair;
import io.rptun.core.socket.SocketTestSupport.Raw;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A peer that speaks the socket protocol badly, from a raw endpoint on the remote: each lie breaks the one
 * connection it came on with a typed reason, and the device and a good connection beside it go on.
 */
class RpmsgSocketHostilePeerTest {
    private static final AtomicInteger IDS = new AtomicInteger(0x100);

    /** A raw "client" on the remote, accepted by a host listener: the accepted socket and the raw side. */
    private record Hostile(RpmsgSocket server, RpmsgEndpoint raw, Raw inbox) {
    }

    private static Hostile connectRaw(RpmsgLoopback loop, RpmsgServerSocket listener, int window)
            throws InterruptedException {
        Raw inbox = new Raw();
        RpmsgEndpoint raw = loop.remote().createEndpoint(listener.endpointPrefix() + ":" + Integer.toHexString(
                IDS.getAndIncrement()), inbox);
        assertThat(raw.awaitBound(WAIT)).isTrue();
        byte[] sync = inbox.take();
        assertThat(Raw.word(sync, 0)).isEqualTo(CMD_SYNC);
        assertThat(Raw.word(sync, 1)).isEqualTo(1024);
        RpmsgSocket server = listener.accept(WAIT);
        assertThat(server).isNotNull();
        if (window > 0) {
            raw.send(message(CMD_SYNC, window, 1, 2, 3));
            assertThat(server.awaitConnected(WAIT)).isTrue();
        }
        return new Hostile(server, raw, inbox);
    }

    private static void assertBreaks(Reason reason, int window, byte[]... lies) throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "h", SocketOptions.stream())) {
            Hostile h = connectRaw(loop, listener, window);
            Pair good = SocketTestSupport.pair(loop, "good", SocketOptions.stream());
            for (byte[] lie : lies) {
                if (h.server().failure() == null) {
                    h.raw().send(lie);
                }
            }
            awaitTrue("the connection broke", () -> h.server().failure() != null);
            assertThat(h.server().failure().reason()).isEqualTo(reason);
            assertThat(h.server().failure().isProtocolError()).isTrue();
            SocketTestSupport.assertReason(() -> h.server().write(new byte[1], WAIT), reason);
            SocketTestSupport.assertReason(() -> h.server().read(new byte[1], 0, 1, WAIT), reason);
            awaitTrue("the peer saw its connection go", () -> !h.raw().isBound());
            good.client().writeAll("still fine".getBytes(StandardCharsets.US_ASCII), WAIT);
            assertThat(good.server().receive(WAIT)).asString(StandardCharsets.US_ASCII).isEqualTo("still fine");
            assertThat(loop.host().state()).isEqualTo(io.rptun.core.rpmsg.RpmsgDevice.State.READY);
            good.close();
        }
    }

    @Test
    void aWindowOfZeroIsRefused() throws Exception {
        assertBreaks(Reason.BAD_WINDOW, 0, message(CMD_SYNC, 0, 1, 2, 3));
    }

    @Test
    void anAbsurdWindowIsRefused() throws Exception {
        assertBreaks(Reason.BAD_WINDOW, 0, message(CMD_SYNC, 0x8000_0000, 1, 2, 3));
    }

    @Test
    void aSyncOfTheWrongSizeIsRefused() throws Exception {
        assertBreaks(Reason.MALFORMED, 0, message(CMD_SYNC, 1024, 1, 2));
    }

    @Test
    void morePendingDataThanOurWindowIsRefused() throws Exception {
        byte[] chunk = message(new byte[400], CMD_DATA, 0, 400);
        assertBreaks(Reason.CREDIT_EXCEEDED, 1024, chunk, chunk, chunk);
    }

    @Test
    void anAcknowledgementBeyondWhatWeSentIsRefused() throws Exception {
        assertBreaks(Reason.ACK_BEYOND_SENT, 1024, message(CMD_DATA, 10, 0));
    }

    @Test
    void aDataWhoseLengthDisagreesWithTheMessageIsRefused() throws Exception {
        assertBreaks(Reason.MALFORMED, 1024, message(new byte[50], CMD_DATA, 0, 100));
    }

    @Test
    void anEmptyDataClaimingBytesIsRefused() throws Exception {
        assertBreaks(Reason.MALFORMED, 1024, message(CMD_DATA, 0, 7));
    }

    @Test
    void aMessageTooShortForItsCommandIsRefused() throws Exception {
        assertBreaks(Reason.MALFORMED, 1024, new byte[] {2, 0});
    }

    @Test
    void anUnknownCommandIsRefused() throws Exception {
        assertBreaks(Reason.UNKNOWN_COMMAND, 1024, message(9, 0, 0));
    }

    @Test
    void aShutdownWithUnknownBitsIsRefused() throws Exception {
        assertBreaks(Reason.MALFORMED, 1024, message(CMD_SHUTDOWN, 4));
    }

    @Test
    void dataAfterThePeerShutItsOutputIsRefused() throws Exception {
        assertBreaks(Reason.DATA_AFTER_SHUTDOWN, 1024, message(CMD_SHUTDOWN, 2), message(new byte[3], CMD_DATA, 0, 3));
    }

    @Test
    void aDatagramWhosePrefixDisagreesWithItsLengthIsRefused() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            RpmsgSocket socket = RpmsgSocket.connect(loop.host(), "dgx", SocketOptions.datagram());
            Raw inbox = new Raw();
            RpmsgEndpoint raw = loop.remote().createEndpoint("s:dgx", inbox);
            assertThat(raw.awaitBound(WAIT)).isTrue();
            raw.send(message(CMD_SYNC, 1024, 1, 2, 3));
            assertThat(socket.awaitConnected(WAIT)).isTrue();
            raw.send(message(new byte[5], CMD_DATA, 0, 5, 6));
            awaitTrue("the connection broke", () -> socket.failure() != null);
            assertThat(socket.failure().reason()).isEqualTo(Reason.MALFORMED);
            socket.close();
        }
    }

    @Test
    void ourSendsNeverExceedTheWindowThePeerAnnounced() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "h", SocketOptions.stream())) {
            Hostile h = connectRaw(loop, listener, 100);
            assertThat(h.server().write(new byte[1000], 0, 1000, Duration.ZERO)).isEqualTo(100);
            byte[] data = h.inbox().take();
            assertThat(Raw.word(data, 0)).isEqualTo(CMD_DATA);
            assertThat(Raw.word(data, 2)).isEqualTo(100);
            assertThat(data).hasSize(112);
            assertThat(h.server().write(new byte[1000], 0, 1000, Duration.ZERO)).isZero();
            // An old acknowledgement (position 0) is harmless; the real one gives the credit back.
            h.raw().send(message(CMD_DATA, 0, 0));
            h.raw().send(message(CMD_DATA, 100, 0));
            awaitTrue("credit came back", () -> h.server().credit() == 100);
            assertThat(h.server().failure()).isNull();
        }
    }

    @Test
    void weAcknowledgeOnceMoreThanHalfOurWindowWasRead() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "h", SocketOptions.stream())) {
            Hostile h = connectRaw(loop, listener, 1024);
            h.raw().send(message(new byte[400], CMD_DATA, 0, 400));
            h.raw().send(message(new byte[400], CMD_DATA, 0, 400));
            awaitTrue("both arrived", () -> h.server().available() == 800);
            byte[] buf = new byte[512];
            assertThat(h.server().read(buf, 0, 512, WAIT)).isEqualTo(512);
            assertThat(h.inbox().received).isEmpty();
            assertThat(h.server().read(buf, 0, 1, WAIT)).isEqualTo(1);
            byte[] ack = h.inbox().take();
            assertThat(ack).isEqualTo(message(CMD_DATA, 513, 0));
        }
    }
}
