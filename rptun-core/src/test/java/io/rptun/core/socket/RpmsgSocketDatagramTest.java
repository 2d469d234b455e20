package io.rptun.core.socket;

import static io.rptun.core.socket.SocketTestSupport.WAIT;
import static io.rptun.core.socket.SocketTestSupport.assertReason;
import static io.rptun.core.socket.SocketTestSupport.bytes;
import static io.rptun.core.socket.SocketTestSupport.pair;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.socket.SocketTestSupport.Pair;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RpmsgSocketDatagramTest {

    @Test
    void bothSidesOpenTheSameNameWithoutASuffixAndPair() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "dg", SocketOptions.datagram())) {
            assertThat(p.client().endpointName()).isEqualTo("s:dg");
            assertThat(p.server().endpointName()).isEqualTo("s:dg");
            assertThat(p.client().isConnected()).isTrue();
        }
    }

    @Test
    void datagramsOfEverySizeArriveWithTheirBoundariesKept() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                Pair p = pair(loop, "sizes", SocketOptions.datagram().withReceiveBuffer(2048))) {
            int max = loop.remote().maxPayload() - 16;
            CompletableFuture<Void> sender = SocketTestSupport.run(() -> {
                for (int size = 0; size <= max; size++) {
                    p.client().writeAll(bytes(size, size), WAIT);
                }
            });
            for (int size = 0; size <= max; size++) {
                byte[] got = p.server().receive(WAIT);
                assertThat(got).as("datagram %d", size).isEqualTo(bytes(size, size));
            }
            sender.get();
        }
    }

    @Test
    void readCutsADatagramToTheBufferAndDropsTheRestAsRecvDoes() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "cut", SocketOptions.datagram())) {
            p.client().writeAll(bytes(100, 1), WAIT);
            p.client().writeAll(bytes(10, 2), WAIT);
            byte[] buf = new byte[40];
            assertThat(p.server().read(buf, 0, 40, WAIT)).isEqualTo(40);
            assertThat(buf).isEqualTo(java.util.Arrays.copyOf(bytes(100, 1), 40));
            assertThat(p.server().receive(WAIT)).isEqualTo(bytes(10, 2));
        }
    }

    @Test
    void aDatagramLargerThanOneBufferIsRefusedBeforeAnythingIsSent() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "big", SocketOptions.datagram())) {
            int max = loop.remote().maxPayload() - 16;
            assertReason(() -> p.client().write(new byte[max + 1], WAIT), SocketException.Reason.DATAGRAM_TOO_LARGE);
            assertThat(p.client().credit()).isEqualTo(1024);
            p.client().writeAll(new byte[max], WAIT);
            assertThat(p.server().receive(WAIT)).hasSize(max);
        }
    }

    @Test
    void aDatagramLargerThanThePeersWindowIsRefused() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            RpmsgSocket server = RpmsgSocket.connect(loop.host(), "tiny", SocketOptions.datagram().withReceiveBuffer(64));
            RpmsgSocket client = RpmsgSocket.connect(loop.remote(), "tiny", SocketOptions.datagram(), WAIT);
            assertReason(() -> client.write(new byte[61], WAIT), SocketException.Reason.DATAGRAM_TOO_LARGE);
            client.writeAll(new byte[60], WAIT);
            assertThat(server.receive(WAIT)).hasSize(60);
            client.close();
            server.close();
        }
    }

    @Test
    void anUnreadDatagramSocketStallsItsSenderAtTheWindow() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "stall", SocketOptions.datagram())) {
            int sent = 0;
            while (p.client().write(new byte[100], 0, 100, Duration.ZERO) == 100) {
                sent++;
            }
            assertThat(sent).isEqualTo(1024 / 104);
            for (int i = 0; i < sent; i++) {
                assertThat(p.server().receive(WAIT)).hasSize(100);
            }
            p.client().writeAll(new byte[100], WAIT);
            assertThat(p.server().receive(WAIT)).hasSize(100);
        }
    }

    @Test
    void listeningIsForStreamsOnly() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            assertReason(() -> RpmsgServerSocket.listen(loop.host(), "x", SocketOptions.datagram()),
                    SocketException.Reason.WRONG_TYPE);
        }
    }
}
