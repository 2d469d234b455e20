package io.rptun.core.nuttx;

import static io.rptun.core.nuttx.NuttxTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.nuttx.NuttxTtyModel.Frame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NuttxTty} as NuttX's server's {@code /dev/ttyproxy} against a model of the proxy's console. */
@Timeout(60)
class NuttxTtyTest {

    @Test
    void typingUnameIntoTheProxysConsolePrintsNuttxProxyAndThePrompt() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxTty tty = NuttxTty.open(loop.host(), "proxy");
                NuttxTtyModel proxy = new NuttxTtyModel(loop.remote())) {
            assertThat(tty.endpoint().name()).isEqualTo("rpmsg-ttyproxy");
            NuttxTestSupport.awaitBound(tty.endpoint(), proxy.endpoint);
            tty.output().write("uname -a\r".getBytes(StandardCharsets.US_ASCII));
            String screen = readUntil(tty.input(), "nsh> ");
            assertThat(screen).isEqualTo("uname -a\n" + NuttxTtyModel.UNAME + "\nnsh> ");
            tty.output().write("ls\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readUntil(tty.input(), "nsh> ")).isEqualTo("ls\nnsh: ls: command not found\nnsh> ");
            // Our WRITEs, field by field.
            Set<Long> cookies = new HashSet<>();
            StringBuilder sent = new StringBuilder();
            for (Frame f : proxy.writes) {
                assertThat(f.word0()).isZero();
                assertThat(f.result()).isEqualTo(-6);
                assertThat(f.count()).isEqualTo(f.bytes().length - 24).isPositive();
                assertThat(f.resolved()).isZero();
                cookies.add(f.cookie());
                sent.append(new String(f.data(), StandardCharsets.US_ASCII));
            }
            assertThat(sent.toString()).isEqualTo("uname -a\rls\n");
            assertThat(cookies).hasSameSizeAs(proxy.writes);
            // Our responses to its WRITEs: the 24-byte header, the response bit, all taken, its cookie.
            await("every response in", () -> proxy.allResponses.size() >= 2);
            assertThat(proxy.allResponses).allSatisfy(r -> {
                assertThat(r.bytes()).hasSize(24);
                assertThat(r.word0()).isEqualTo(NuttxTtyModel.RESPONSE);
                assertThat(r.result()).isEqualTo(r.count()).isPositive();
                assertThat(r.cookie()).isGreaterThanOrEqualTo(0x1000);
            });
            assertThat(tty.drops().total()).isZero();
        }
    }

    @Test
    void aFullReceiveBufferTakesPartOfAWriteAndSendsWakeupOnceTheReaderDrainedIt() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback();
                NuttxTty tty = NuttxTty.open(loop.host(), "proxy", 64, NuttxTty.DEFAULT_WRITE_TIMEOUT);
                NuttxTtyModel proxy = new NuttxTtyModel(loop.remote())) {
            NuttxTestSupport.awaitBound(tty.endpoint(), proxy.endpoint);
            byte[] big = new byte[5000];
            new Random(1).nextBytes(big);
            proxy.print(big);
            await("the first WRITE was answered in part", () -> !proxy.allResponses.isEmpty());
            assertThat(proxy.allResponses.getFirst().result()).as("only what fits is taken").isEqualTo(64);
            assertThat(proxy.allResponses.getFirst().count()).isEqualTo(NuttxTestSupport.NUTTX_PAYLOAD - 24);
            assertThat(tty.input().readNBytes(big.length)).isEqualTo(big);
            assertThat(proxy.allWakeups).isNotEmpty().allSatisfy(w -> {
                assertThat(w.bytes()).hasSize(16);
                assertThat(w.word0()).isEqualTo(1);
            });
        }
    }

    @Test
    void aConsoleThatTakesAFewBytesAtATimeGetsEveryByteInOrderThroughWakeups() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxTty tty = NuttxTty.open(loop.host(), "proxy");
                NuttxTtyModel proxy = new NuttxTtyModel(loop.remote())) {
            NuttxTestSupport.awaitBound(tty.endpoint(), proxy.endpoint);
            proxy.shell = false;
            proxy.acceptLimit = 10;
            byte[] text = "0123456789".repeat(250).getBytes(StandardCharsets.US_ASCII);
            tty.output().write(text);
            assertThat(proxy.typed()).isEqualTo(new String(text, StandardCharsets.US_ASCII));
            assertThat(proxy.writes).hasSizeGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void aHostilePeerIsCountedAndDroppedAndTheConsoleStillWorks() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxTty tty = NuttxTty.open(loop.host(), "proxy");
                NuttxTtyModel proxy = new NuttxTtyModel(loop.remote())) {
            NuttxTestSupport.awaitBound(tty.endpoint(), proxy.endpoint);
            proxy.endpoint.send(new byte[15]);
            proxy.endpoint.send(NuttxTestSupport.le(20).putInt(0).putInt(-6).putLong(1).array());
            proxy.endpoint.send(NuttxTestSupport.le(24).putInt(NuttxTtyModel.RESPONSE).putInt(3).putLong(77).array());
            proxy.endpoint.send(NuttxTestSupport.le(16).putInt(5).putInt(0).putLong(0).array());
            proxy.endpoint.send(NuttxTestSupport.le(16).putInt(NuttxTtyModel.RESPONSE | 1).putInt(0).putLong(0).array());
            // A WRITE whose count lies: the three bytes there are taken, and answered.
            proxy.endpoint.send(NuttxTestSupport.le(27).putInt(0).putInt(-6).putLong(5).putInt(1_000_000).putInt(0)
                    .put("abc".getBytes(StandardCharsets.US_ASCII)).array());
            byte[] abc = new byte[3];
            assertThat(tty.input().readNBytes(abc, 0, 3)).isEqualTo(3);
            assertThat(new String(abc, StandardCharsets.US_ASCII)).isEqualTo("abc");
            await("every bad message counted", () -> tty.drops().total() == 6);
            assertThat(tty.drops().count(Reason.SHORT_MESSAGE)).isEqualTo(2);
            assertThat(tty.drops().count(Reason.UNEXPECTED_RESPONSE)).isEqualTo(1);
            assertThat(tty.drops().count(Reason.UNKNOWN_COMMAND)).isEqualTo(2);
            assertThat(tty.drops().count(Reason.BAD_LENGTH)).isEqualTo(1);
            tty.output().write("uname -a\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readUntil(tty.input(), "nsh> ")).endsWith(NuttxTtyModel.UNAME + "\nnsh> ");
        }
    }

    @Test
    void twoJavaEndsCarryALotBothWaysThroughSmallBuffers() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback();
                NuttxTty server = NuttxTty.open(loop.host(), "proxy", 256, NuttxTty.DEFAULT_WRITE_TIMEOUT);
                NuttxTty console = NuttxTty.open(loop.remote(), "proxy", 100, NuttxTty.DEFAULT_WRITE_TIMEOUT)) {
            NuttxTestSupport.awaitBound(server.endpoint(), console.endpoint());
            byte[] down = new byte[50_000];
            byte[] up = new byte[40_000];
            new Random(2).nextBytes(down);
            new Random(3).nextBytes(up);
            CompletableFuture<byte[]> atConsole = CompletableFuture.supplyAsync(() -> readAll(console.input(), down.length));
            CompletableFuture<byte[]> atServer = CompletableFuture.supplyAsync(() -> readAll(server.input(), up.length));
            CompletableFuture<Void> w = CompletableFuture.runAsync(() -> write(console, up));
            server.output().write(down);
            w.get();
            assertThat(atConsole.get()).isEqualTo(down);
            assertThat(atServer.get()).isEqualTo(up);
            assertThat(server.drops().total() + console.drops().total()).isZero();
        }
    }

    @Test
    void aWriteNobodyAnswersEndsWithNoAnswerAndClosingEndsTheReader() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            NuttxTty tty = NuttxTty.open(loop.host(), "proxy", 64, Duration.ofMillis(200));
            assertThatThrownBy(() -> tty.output().write(1)).isInstanceOfSatisfying(NuttxServiceException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.NOT_BOUND));
            var silent = loop.remote().createEndpoint("rpmsg-ttyproxy", (ep, msg) -> { });
            NuttxTestSupport.awaitBound(tty.endpoint(), silent);
            assertThatThrownBy(() -> tty.output().write(1)).isInstanceOfSatisfying(NuttxServiceException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.NO_ANSWER));
            CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return tty.input().read();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            tty.close();
            assertThat(reader.get()).isEqualTo(-1);
        }
    }

    private static void write(NuttxTty tty, byte[] bytes) {
        try {
            tty.output().write(bytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readAll(InputStream in, int n) {
        try {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!out.toString(StandardCharsets.UTF_8).endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            out.write(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
