package io.rptun.core.socket;

import static io.rptun.core.socket.SocketTestSupport.WAIT;
import static io.rptun.core.socket.SocketTestSupport.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Our sockets against a model of NuttX's {@code rpsock_server} / {@code rpsock_client} examples
 * ({@link NuttxRpsockModel}), which speaks the wire protocol on its own: NuttX on the remote, us on the host.
 */
class NuttxRpsockInteropTest {

    @Test
    void nuttxsStreamClientTalksToOurListeningEchoAndFindsEveryIntWhereItBelongs() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "rpsock", SocketOptions.stream())) {
            CompletableFuture<Integer> client = SocketTestSupport.async(() -> {
                try {
                    return NuttxRpsockModel.streamClient(loop.remote(), "rpsock", 300, 1);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            RpmsgSocket server = listener.accept(WAIT);
            assertThat(server).isNotNull();
            CompletableFuture<Void> echo = SocketTestSupport.run(() -> {
                try {
                    RpmsgSocketStreamTest.echo(server);
                } catch (SocketException e) {
                    // rpsock_client closes once it has its bytes back: an echo still writing sees it go.
                    assertThat(e.reason()).isEqualTo(SocketException.Reason.RESET);
                }
            });
            assertThat(client.get()).as("check failures").isZero();
            echo.get();
            server.close();
        }
    }

    /**
     * NuttX's side writes less than half our window and shuts its output down. Our reader reads to the end and
     * acknowledges those last bytes, which NuttX takes as it takes any DATA header: its acknowledged position
     * catches up with what it sent.
     */
    @Test
    void nuttxsWriterThatShutsItsOutputLearnsThatWeReadEverything() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback();
                RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), "rpsock", SocketOptions.stream())) {
            NuttxRpsockModel.Conn conn = new NuttxRpsockModel.Conn(true);
            conn.ept = loop.remote().createEndpoint(NuttxRpsockModel.nameOf("rpsock") + ":7abc", conn);
            conn.awaitSync();
            RpmsgSocket server = listener.accept(WAIT);
            assertThat(server).isNotNull();
            byte[] data = bytes(100, 3);
            conn.sendStream(data);
            conn.ept.send(NuttxRpsockModel.words(NuttxRpsockModel.CMD_SHUTDOWN, 2)); // SHUT_WR
            byte[] got = new byte[data.length];
            int at = 0;
            while (at < got.length) {
                at += server.read(got, at, got.length - at, WAIT);
            }
            assertThat(got).isEqualTo(data);
            assertThat(server.read(got, 0, 1, WAIT)).isEqualTo(-1);
            SocketTestSupport.awaitTrue("NuttX's acknowledged position reaches what it sent", () -> {
                conn.lock.lock();
                try {
                    return conn.ackpos == conn.sendpos;
                } finally {
                    conn.lock.unlock();
                }
            });
            assertThat(server.isConnected()).as("the acknowledgement broke nothing").isTrue();
            server.close();
        }
    }

    @Test
    void ourStreamClientTalksToNuttxsStreamServer() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            RpmsgServiceListener server = NuttxRpsockModel.streamServer(loop.remote(), "rpsock");
            RpmsgSocket client = RpmsgSocket.connect(loop.host(), "rpsock", SocketOptions.stream(), WAIT);
            byte[] data = bytes(200_000, 11);
            CompletableFuture<Void> writer = SocketTestSupport.run(() -> SocketTestSupport.writeInPieces(client, data,
                    12));
            byte[] got = new byte[data.length];
            int at = 0;
            while (at < data.length) {
                int n = client.read(got, at, got.length - at, WAIT);
                assertThat(n).isPositive();
                at += n;
            }
            writer.get();
            assertThat(got).isEqualTo(data);
            client.close();
            loop.remote().removeServiceListener(server);
        }
    }

    @Test
    void ourDatagramSocketTalksToNuttxsDatagramServerWhichCutsWhatItReadsTo255Bytes() {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            NuttxRpsockModel.Conn server = NuttxRpsockModel.datagramServer(loop.remote(), "rpdg");
            RpmsgSocket client = RpmsgSocket.connect(loop.host(), "rpdg", SocketOptions.datagram(), WAIT);
            // Not 0: NuttX's recv returns 0 for an empty datagram, which rpsock_server takes for the end.
            for (int size : new int[] {1, 100, 255, 256, 400}) {
                client.writeAll(bytes(size, size), WAIT);
                byte[] echo = client.receive(WAIT);
                assertThat(echo).as("echo of %d", size).isEqualTo(Arrays.copyOf(bytes(size, size), Math.min(size, 255)));
            }
            client.close();
        }
    }

    @Test
    void nuttxsDatagramSenderCutsADatagramToItsTxBufferAndWeReceiveWhatItSent() throws Exception {
        try (RpmsgLoopback loop = SocketTestSupport.loopback()) {
            RpmsgSocket ours = RpmsgSocket.connect(loop.host(), "rpdg2", SocketOptions.datagram());
            NuttxRpsockModel.Conn nuttx = new NuttxRpsockModel.Conn(false);
            nuttx.ept = loop.remote().createEndpoint("s:rpdg2", nuttx);
            nuttx.awaitSync();
            assertThat(ours.awaitConnected(WAIT)).isTrue();
            // rpsock_client dgram sends SYNCSIZE - 32 = 992 bytes; a 512-byte TX buffer takes 480 of them.
            nuttx.sendDatagram(bytes(992, 3));
            assertThat(ours.receive(WAIT)).isEqualTo(Arrays.copyOf(bytes(992, 3), 480));
            ours.writeAll(bytes(300, 4), WAIT);
            byte[] buf = new byte[1024];
            int n = nuttx.recv(buf);
            assertThat(Arrays.copyOf(buf, n)).isEqualTo(bytes(300, 4));
            ours.close();
        }
    }
}
