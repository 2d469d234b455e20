package io.rptun.core.socket;

import static io.rptun.core.socket.SocketTestSupport.WAIT;
import static io.rptun.core.socket.SocketTestSupport.assertReason;
import static io.rptun.core.socket.SocketTestSupport.awaitTrue;
import static io.rptun.core.socket.SocketTestSupport.bytes;
import static io.rptun.core.socket.SocketTestSupport.crc;
import static io.rptun.core.socket.SocketTestSupport.drain;
import static io.rptun.core.socket.SocketTestSupport.pair;
import static io.rptun.core.socket.SocketTestSupport.writeInPieces;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.socket.SocketTestSupport.Drained;
import io.rptun.core.socket.SocketTestSupport.Pair;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RpmsgSocketStreamTest {

    @Test
    void aClientConnectsToAListenerAndBothLearnTheOthersWindowAndCredentials() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                Pair p = pair(loop, "hello", SocketOptions.stream().withReceiveBuffer(4096)
                        .withCredentials(new SocketCredentials(7, 8, 9)))) {
            assertThat(p.client().endpointName()).startsWith("s:hello:");
            assertThat(p.server().endpointName()).isEqualTo(p.client().endpointName());
            assertThat(p.server().isAccepted()).isTrue();
            assertThat(p.client().peerWindow()).isEqualTo(4096);
            assertThat(p.server().peerWindow()).isEqualTo(4096);
            assertThat(p.server().peerCredentials()).isEqualTo(new SocketCredentials(7, 8, 9));
            assertThat(p.client().isConnected()).isTrue();
        }
    }

    @Test
    void aFewMegabytesGoEachWayAtOnceAndArriveIntactByCrc() throws Exception {
        streamEachWay(4 << 20, SocketOptions.stream());
    }

    @Test
    void aLargeWindowCarriesTheSameStreamInFewerAcknowledgements() throws Exception {
        streamEachWay(4 << 20, SocketOptions.stream().withReceiveBuffer(64 * 1024));
    }

    /** 100 MB each way at once, 64 KiB windows (about 5 s on a 2-core machine). */
    @Test
    void aHundredMegabytesGoEachWayIntactByCrc() throws Exception {
        streamEachWay(100 << 20, SocketOptions.stream().withReceiveBuffer(64 * 1024));
    }

    private static void streamEachWay(int size, SocketOptions options) throws Exception {
        byte[] up = bytes(size, 1);
        byte[] down = bytes(size, 2);
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "bulk", options)) {
            CompletableFuture<Drained> atServer = SocketTestSupport.async(() -> drain(p.server()));
            CompletableFuture<Drained> atClient = SocketTestSupport.async(() -> drain(p.client()));
            CompletableFuture<Void> writeUp = SocketTestSupport.run(() -> {
                writeInPieces(p.client(), up, 3);
                p.client().shutdownOutput();
            });
            CompletableFuture<Void> writeDown = SocketTestSupport.run(() -> {
                writeInPieces(p.server(), down, 4);
                p.server().shutdownOutput();
            });
            writeUp.get();
            writeDown.get();
            assertThat(atServer.get()).isEqualTo(new Drained(size, crc(up)));
            assertThat(atClient.get()).isEqualTo(new Drained(size, crc(down)));
            assertThat(loop.host().heldRxBuffers()).isZero();
        }
    }

    @Test
    void aWriteLargerThanTheWindowIsSplitAndWaitsForTheReader() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "split", SocketOptions.stream())) {
            byte[] data = bytes(10_000, 5);
            // Nobody reads yet: only the window (1,024 bytes) goes.
            assertThat(p.client().write(data, 0, data.length, Duration.ZERO)).isEqualTo(1024);
            awaitTrue("the window filled", () -> p.server().available() == 1024);
            assertThat(p.client().credit()).isZero();
            CompletableFuture<Integer> rest = SocketTestSupport.async(
                    () -> p.client().write(data, 1024, data.length - 1024, WAIT));
            byte[] got = new byte[data.length];
            int at = 0;
            while (at < data.length) {
                int n = p.server().read(got, at, got.length - at, WAIT);
                assertThat(n).isPositive();
                at += n;
            }
            assertThat(rest.join()).isEqualTo(data.length - 1024);
            assertThat(got).isEqualTo(data);
        }
    }

    /**
     * A side about to close its link learns that the peer read everything it sent: the reader acknowledges its
     * last bytes once it reaches the end of the writer's output, less than half a window though they are.
     */
    @ParameterizedTest(name = "the writer shuts its output down {0}")
    @ValueSource(strings = {"before the reader reads", "after the reader read everything"})
    void aWriterLearnsThatThePeerReadEverythingOnceItReadsToTheEnd(String when) {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "ack", SocketOptions.stream())) {
            byte[] data = bytes(100, 7); // far less than half the 1,024-byte window: no acknowledgement on its own
            p.client().writeAll(data, WAIT);
            assertThat(p.client().awaitAcknowledged(Duration.ofMillis(50))).as("nothing read yet").isFalse();
            if (when.startsWith("before")) {
                p.client().shutdownOutput();
            }
            byte[] got = new byte[100];
            int at = 0;
            while (at < got.length) {
                at += p.server().read(got, at, got.length - at, WAIT);
            }
            assertThat(got).isEqualTo(data);
            if (when.startsWith("after")) {
                p.client().shutdownOutput();
            }
            assertThat(p.client().awaitAcknowledged(WAIT)).as("everything sent was read").isTrue();
            assertThat(p.client().credit()).isEqualTo(p.client().peerWindow());
            assertThat(p.server().read(got, 0, 1, WAIT)).isEqualTo(-1);
        }
    }

    @Test
    void aReadWithZeroTimeoutReturnsZeroWhenNothingArrivedAndMinusOneAtTheEnd() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "poll", SocketOptions.stream())) {
            byte[] buf = new byte[16];
            assertThat(p.server().read(buf, 0, 16, Duration.ZERO)).isZero();
            assertThat(p.server().receive(Duration.ZERO)).isNull();
            p.client().writeAll("abc".getBytes(StandardCharsets.US_ASCII), WAIT);
            p.client().shutdownOutput();
            assertThat(p.server().receive(WAIT)).asString(StandardCharsets.US_ASCII).isEqualTo("abc");
            assertThat(p.server().read(buf, 0, 16, WAIT)).isEqualTo(-1);
            assertThat(p.server().isInputDone()).isTrue();
        }
    }

    @Test
    void shuttingTheClientsOutputEndsTheServersInputAndTheServerCanStillAnswer() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "half", SocketOptions.stream())) {
            p.client().writeAll("question".getBytes(StandardCharsets.US_ASCII), WAIT);
            p.client().shutdownOutput();
            assertReason(() -> p.client().write(new byte[1], WAIT), SocketException.Reason.OUTPUT_SHUT);
            assertThat(new String(readAll(p.server()), StandardCharsets.US_ASCII)).isEqualTo("question");
            p.server().writeAll("answer".getBytes(StandardCharsets.US_ASCII), WAIT);
            p.server().close();
            assertThat(new String(readAll(p.client()), StandardCharsets.US_ASCII)).isEqualTo("answer");
        }
    }

    @Test
    void shuttingTheServersOutputEndsTheClientsInputAndTheClientCanStillWrite() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "half2", SocketOptions.stream())) {
            p.server().shutdownOutput();
            assertThat(p.client().read(new byte[4], 0, 4, WAIT)).isEqualTo(-1);
            p.client().writeAll("still".getBytes(StandardCharsets.US_ASCII), WAIT);
            p.client().close();
            assertThat(new String(readAll(p.server()), StandardCharsets.US_ASCII)).isEqualTo("still");
        }
    }

    @Test
    void shuttingTheInputMakesThePeersWritesFail() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "shutrd", SocketOptions.stream())) {
            p.server().shutdownInput();
            awaitTrue("the client heard SHUT_RD", () -> {
                try {
                    p.client().write(new byte[1], Duration.ZERO);
                    return false;
                } catch (SocketException e) {
                    return e.reason() == SocketException.Reason.PEER_SHUT_INPUT;
                }
            });
        }
    }

    @Test
    void aPeerThatVanishesMidStreamEndsTheReadersInputAndFailsItsWrites() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "vanish", SocketOptions.stream())) {
            byte[] data = bytes(300_000, 6);
            CompletableFuture<Drained> atServer = SocketTestSupport.async(() -> drain(p.server()));
            CompletableFuture<Void> writer = SocketTestSupport.run(() -> {
                try {
                    writeInPieces(p.client(), data, 7);
                } catch (SocketException e) {
                    assertThat(e.reason()).isEqualTo(SocketException.Reason.CLOSED);
                }
            });
            awaitTrue("some data went", () -> p.client().credit() < 1024);
            p.client().close();
            writer.join();
            Drained got = atServer.join();
            assertThat(got.bytes()).isLessThan(data.length);
            assertReason(() -> p.server().write(new byte[1], WAIT), SocketException.Reason.RESET);
        }
    }

    @Test
    void aDeviceThatLosesItsPeerEndsEveryConnectionOnIt() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "lost", SocketOptions.stream())) {
            loop.host().peerLost("test");
            assertThat(p.server().read(new byte[4], 0, 4, WAIT)).isEqualTo(-1);
            assertReason(() -> p.server().write(new byte[1], WAIT), SocketException.Reason.RESET);
        }
    }

    @Test
    void manyConnectionsAtOnceEachEchoTheirOwnStream() throws Exception {
        int connections = 16;
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "many",
                        SocketOptions.stream().withBacklog(connections))) {
            List<CompletableFuture<Void>> echoes = new ArrayList<>();
            List<CompletableFuture<Drained>> results = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            List<RpmsgSocket> clients = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                clients.add(RpmsgSocket.connect(loop.remote(), "many", SocketOptions.stream(), WAIT));
            }
            for (int i = 0; i < connections; i++) {
                RpmsgSocket server = listener.accept(WAIT);
                assertThat(server).isNotNull();
                echoes.add(SocketTestSupport.run(() -> echo(server)));
            }
            for (int i = 0; i < connections; i++) {
                RpmsgSocket c = clients.get(i);
                byte[] data = bytes(200_000 + i, 100 + i);
                sent.add(data);
                results.add(SocketTestSupport.async(() -> drain(c)));
                long seed = i;
                SocketTestSupport.run(() -> {
                    writeInPieces(c, data, seed);
                    c.shutdownOutput();
                });
            }
            for (int i = 0; i < connections; i++) {
                assertThat(results.get(i).get()).isEqualTo(new Drained(sent.get(i).length, crc(sent.get(i))));
            }
            CompletableFuture.allOf(echoes.toArray(CompletableFuture[]::new)).get();
            clients.forEach(RpmsgSocket::close);
        }
    }

    @Test
    void aFullBacklogRefusesTheNextClientAtOnce() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "busy",
                        SocketOptions.stream().withBacklog(2))) {
            RpmsgSocket a = RpmsgSocket.connect(loop.remote(), "busy", SocketOptions.stream(), WAIT);
            RpmsgSocket b = RpmsgSocket.connect(loop.remote(), "busy", SocketOptions.stream(), WAIT);
            assertReason(() -> RpmsgSocket.connect(loop.remote(), "busy", SocketOptions.stream(), WAIT),
                    SocketException.Reason.RESET);
            assertThat(listener.refused()).isEqualTo(1);
            assertThat(listener.queued()).isEqualTo(2);
            assertThat(listener.accept(WAIT)).isNotNull();
            RpmsgSocket c = RpmsgSocket.connect(loop.remote(), "busy", SocketOptions.stream(), WAIT);
            assertThat(c.isConnected()).isTrue();
            a.close();
            b.close();
            c.close();
        }
    }

    @Test
    void aListenerOnAnotherCpuIgnoresTheAnnouncementAndAClientTimesOut() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(List.of(loop.host()), "no-such-cpu", "cpu",
                        SocketOptions.stream())) {
            assertReason(() -> RpmsgSocket.connect(loop.remote(), "cpu", SocketOptions.stream(), Duration.ofMillis(300)),
                    SocketException.Reason.CONNECT_TIMEOUT);
            assertThat(listener.queued()).isZero();
        }
    }

    @Test
    void aListenerStartedAfterTheClientAnnouncedStillAcceptsIt() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            RpmsgSocket client = RpmsgSocket.connect(loop.remote(), "late", SocketOptions.stream());
            awaitTrue("the host heard the announcement", () -> loop.host().remoteServices().keySet().stream()
                    .anyMatch(n -> n.startsWith("s:late:")));
            try (RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "late", SocketOptions.stream())) {
                RpmsgSocket server = listener.accept(WAIT);
                assertThat(server).isNotNull();
                assertThat(client.awaitConnected(WAIT)).isTrue();
                server.close();
            }
            client.close();
        }
    }

    @Test
    void theBlockingStreamsCarryBytesAndCloseAsShutdowns() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback(); Pair p = pair(loop, "io", SocketOptions.stream())) {
            byte[] data = bytes(50_000, 9);
            CompletableFuture<byte[]> got = SocketTestSupport.async(() -> {
                try {
                    return p.server().inputStream().readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (var out = p.client().outputStream()) {
                out.write(data);
            }
            assertThat(got.get()).isEqualTo(data);
        }
    }

    static void echo(RpmsgSocket s) {
        byte[] buf = new byte[3000];
        while (true) {
            int n = s.read(buf, 0, buf.length, WAIT);
            if (n < 0) {
                s.shutdownOutput();
                return;
            }
            s.writeAll(java.util.Arrays.copyOf(buf, n), WAIT);
        }
    }

    static byte[] readAll(RpmsgSocket s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[1000];
        while (true) {
            int n = s.read(buf, 0, buf.length, WAIT);
            assertThat(n).isNotZero();
            if (n < 0) {
                return out.toByteArray();
            }
            out.write(buf, 0, n);
        }
    }
}
