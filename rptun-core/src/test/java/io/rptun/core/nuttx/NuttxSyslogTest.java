package io.rptun.core.nuttx;

import static io.rptun.core.nuttx.NuttxTestSupport.await;
import static io.rptun.core.nuttx.NuttxTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.nuttx.NuttxSyslogModels.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NuttxSyslogServer} and {@link NuttxSyslogClient} against models of NuttX's other side. */
@Timeout(60)
class NuttxSyslogTest {

    @Test
    void theServerJoinsLinesCutAnywhereAcrossTransfersAndDropsNuls() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            NuttxSyslogServer server = NuttxSyslogServer.open(loop.host(), lines::add);
            NuttxSyslogModels.Client nuttx = new NuttxSyslogModels.Client(loop.remote());
            NuttxTestSupport.awaitBound(server.endpoint(), nuttx.endpoint);
            nuttx.send("[    0.100000] [proxy] NuttShell (NSH)\n[    0.2");
            nuttx.send("00000] [proxy] second");
            nuttx.send(" line\nthird\nfourth\n");
            byte[] euro = "price: 5 \u20ac\n".getBytes(StandardCharsets.UTF_8);
            nuttx.endpoint.send(NuttxSyslogModels.transfer(Arrays.copyOf(euro, euro.length - 2)));
            nuttx.endpoint.send(NuttxSyslogModels.transfer(new byte[] {euro[euro.length - 2], 0, euro[euro.length - 1]}));
            assertThat(List.of(take(lines), take(lines), take(lines), take(lines), take(lines))).containsExactly(
                    "[    0.100000] [proxy] NuttShell (NSH)", "[    0.200000] [proxy] second line", "third", "fourth",
                    "price: 5 \u20ac");
            assertThat(server.lines()).isEqualTo(5);
            assertThat(server.drops().total()).isZero();
            server.close();
        }
    }

    @Test
    void linesCutAtRandomPointsComeOutWholeAndALineLongerThanTheLimitIsCut() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            List<String> lines = new CopyOnWriteArrayList<>();
            NuttxSyslogServer server = NuttxSyslogServer.open(loop.host(), lines::add);
            NuttxSyslogModels.Client nuttx = new NuttxSyslogModels.Client(loop.remote());
            NuttxTestSupport.awaitBound(server.endpoint(), nuttx.endpoint);
            Random random = new Random(18);
            List<String> expected = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 2000; i++) {
                String line = "[" + i + "] " + "\u00e9x".repeat(random.nextInt(40));
                expected.add(line);
                text.append(line).append('\n');
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            for (int off = 0; off < bytes.length; ) {
                int n = Math.min(bytes.length - off, 1 + random.nextInt(NuttxTestSupport.NUTTX_PAYLOAD - 12));
                nuttx.endpoint.send(NuttxSyslogModels.transfer(Arrays.copyOfRange(bytes, off, off + n)));
                off += n;
            }
            byte[] longLine = ("y".repeat(NuttxSyslogServer.MAX_LINE + 100) + "\n").getBytes(StandardCharsets.US_ASCII);
            for (int off = 0; off < longLine.length; off += 1000) {
                nuttx.endpoint.send(NuttxSyslogModels.transfer(Arrays.copyOfRange(longLine, off,
                        Math.min(longLine.length, off + 1000))));
            }
            expected.add("y".repeat(NuttxSyslogServer.MAX_LINE));
            expected.add("y".repeat(100));
            await("every line out", () -> lines.size() == expected.size());
            assertThat(lines).isEqualTo(expected);
            server.close();
        }
    }

    @Test
    void syncReturnsOnceTheClientSentWhatItHeldAndEchoedTheCookie() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            List<String> lines = new CopyOnWriteArrayList<>();
            NuttxSyslogServer server = NuttxSyslogServer.open(loop.host(), lines::add);
            NuttxSyslogModels.Client nuttx = new NuttxSyslogModels.Client(loop.remote());
            NuttxTestSupport.awaitBound(server.endpoint(), nuttx.endpoint);
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                nuttx.held = ("held " + i + "\n").getBytes(StandardCharsets.UTF_8);
                server.sync(NuttxTestSupport.WAIT);
                assertThat(lines).as("the held line is in before sync returns").contains("held " + i);
                Message sync = take(nuttx.commands);
                assertThat(sync.command()).isEqualTo(3);
                assertThat(sync.result()).isZero();
                assertThat(sync.bytes()).hasSize(16);
                cookies.add(sync.cookie());
            }
            assertThat(cookies).hasSize(3);
            server.suspend();
            server.resume();
            Message suspend = take(nuttx.commands);
            Message resume = take(nuttx.commands);
            assertThat(suspend.command()).isEqualTo(1);
            assertThat(suspend.bytes()).hasSize(8);
            assertThat(resume.command()).isEqualTo(2);
            assertThat(resume.bytes()).hasSize(8);
            server.close();
        }
    }

    @Test
    void aHostileClientIsCountedAndDroppedAndThePartialLineComesOutWhenItLeaves() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            NuttxSyslogServer server = NuttxSyslogServer.open(loop.host(), lines::add);
            NuttxSyslogModels.Client nuttx = new NuttxSyslogModels.Client(loop.remote());
            NuttxTestSupport.awaitBound(server.endpoint(), nuttx.endpoint);
            nuttx.endpoint.send(new byte[4]);
            nuttx.endpoint.send(NuttxSyslogModels.header(0));
            byte[] lying = NuttxSyslogModels.transfer("ok\n".getBytes(StandardCharsets.US_ASCII));
            NuttxTestSupport.le(lying).putInt(8, 1_000_000);
            nuttx.endpoint.send(lying);
            byte[] negative = NuttxSyslogModels.transfer("gone\n".getBytes(StandardCharsets.US_ASCII));
            NuttxTestSupport.le(negative).putInt(8, -5);
            nuttx.endpoint.send(negative);
            nuttx.endpoint.send(NuttxSyslogModels.header(9));
            nuttx.endpoint.send(NuttxSyslogModels.sync(42));
            nuttx.endpoint.send(NuttxSyslogModels.header(3));
            nuttx.send("no newline yet");
            assertThat(take(lines)).as("the bytes really there are taken").isEqualTo("ok");
            await("every bad message counted", () -> server.drops().total() == 7);
            assertThat(server.drops().count(Reason.SHORT_MESSAGE)).isEqualTo(3);
            assertThat(server.drops().count(Reason.BAD_LENGTH)).isEqualTo(2);
            assertThat(server.drops().count(Reason.UNKNOWN_COMMAND)).isEqualTo(1);
            assertThat(server.drops().count(Reason.UNEXPECTED_RESPONSE)).isEqualTo(1);
            nuttx.endpoint.destroy();
            assertThat(take(lines)).isEqualTo("no newline yet");
            assertThatThrownBy(() -> server.sync(Duration.ofSeconds(1))).isInstanceOfSatisfying(
                    NuttxServiceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_BOUND));
            server.close();
        }
    }

    @Test
    void theClientSendsTransfersANuttxServerReadsWithEveryFieldRight() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            NuttxSyslogModels.Server nuttx = new NuttxSyslogModels.Server(loop.host());
            try (NuttxSyslogClient client = NuttxSyslogClient.open(loop.remote(), 1 << 16, Duration.ZERO)) {
                NuttxTestSupport.awaitBound(client.endpoint(), nuttx.endpoint);
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < 400; i++) {
                    String line = "[proxy] line " + i + " " + "x".repeat(i % 50);
                    client.log(line);
                    expected.append(line).append('\n');
                }
                await("everything arrived", () -> nuttx.text().length() == expected.length());
                assertThat(nuttx.text()).isEqualTo(expected.toString());
                assertThat(nuttx.transfers).allSatisfy(m -> {
                    assertThat(m.command()).isZero();
                    assertThat(m.result()).isZero();
                    assertThat(m.count()).isEqualTo(m.bytes().length - 12).isPositive()
                            .isLessThanOrEqualTo(NuttxTestSupport.NUTTX_PAYLOAD - 12);
                });
                assertThat(client.sent()).isEqualTo(expected.length());
                assertThat(client.overwritten()).isZero();
            }
        }
    }

    @Test
    void theClientWaitsWhileSuspendedSendsOnResumeAndAnswersSyncAfterSendingAll() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            NuttxSyslogModels.Server nuttx = new NuttxSyslogModels.Server(loop.host());
            try (NuttxSyslogClient client = NuttxSyslogClient.open(loop.remote(), 4096, Duration.ZERO)) {
                NuttxTestSupport.awaitBound(client.endpoint(), nuttx.endpoint);
                nuttx.endpoint.send(NuttxSyslogModels.header(1));
                await("suspended", client::isSuspended);
                client.log("while suspended");
                assertThat(client.pending()).as("nothing sent while suspended").isEqualTo(16);
                nuttx.endpoint.send(NuttxSyslogModels.header(2));
                await("sent on resume", () -> nuttx.text().equals("while suspended\n"));
                nuttx.endpoint.send(NuttxSyslogModels.header(1));
                await("suspended again", client::isSuspended);
                client.log("before sync");
                nuttx.endpoint.send(NuttxSyslogModels.sync(0xABCDEF));
                Message echo = take(nuttx.syncEchoes);
                assertThat(echo.bytes()).isEqualTo(NuttxSyslogModels.sync(0xABCDEF));
                assertThat(nuttx.text()).as("SYNC sends everything first, suspended or not")
                        .isEqualTo("while suspended\nbefore sync\n");
                nuttx.endpoint.send(new byte[3]);
                nuttx.endpoint.send(NuttxSyslogModels.header(7));
                byte[] shortSync = NuttxSyslogModels.header(3);
                nuttx.endpoint.send(shortSync);
                assertThat(take(nuttx.syncEchoes).bytes()).as("a short SYNC is echoed as it came").isEqualTo(shortSync);
                assertThat(client.drops().count(Reason.SHORT_MESSAGE)).isEqualTo(1);
                assertThat(client.drops().count(Reason.UNKNOWN_COMMAND)).isEqualTo(1);
            }
        }
    }

    @Test
    void theClientKeepsTheNewestBytesUntilAServerAppearsAndSendsThemAtNuttxsDefaultDelay() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            try (NuttxSyslogClient client = NuttxSyslogClient.open(loop.remote(), 16, NuttxSyslogClient.DEFAULT_DELAY)) {
                client.write("0123456789abcdefghijklmnopqrstuvwxyzABCD".getBytes(StandardCharsets.US_ASCII));
                assertThat(client.overwritten()).isEqualTo(24);
                assertThat(client.pending()).isEqualTo(16);
                NuttxSyslogModels.Server nuttx = new NuttxSyslogModels.Server(loop.host());
                NuttxTestSupport.awaitBound(client.endpoint(), nuttx.endpoint);
                await("the newest bytes arrived", () -> nuttx.text().equals("opqrstuvwxyzABCD"));
                for (int i = 0; i < 10; i++) {
                    client.log("l" + i);
                }
                await("a full ring is sent at once by the writer", () -> nuttx.text().endsWith("l9\n"));
                assertThat(client.overwritten()).isEqualTo(24);
            }
        }
    }
}
