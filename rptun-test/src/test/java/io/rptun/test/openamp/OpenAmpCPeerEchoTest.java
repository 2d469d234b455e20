package io.rptun.test.openamp;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * rptun against models of OpenAMP's C programs (peers.md section 1), over the Linux demo's file and socket:
 * the model sides look at their rings only when kicked, so a kick rptun forgets, or a batch it holds while
 * it waits, stalls the pair; the model then fails the test with STALLED and both rings' state (a real C
 * program would sleep for ever). Every echo is checked, byte for byte and in order.
 *
 * <p>The normal build sends 100,000 echoes each way; {@code -Popenamp-long} (system property
 * {@code rptun.openamp=long}) sends 1,048,576 of each of 21 sizes from 17 to 496, as OpenAMP's flood test
 * does for every one of the 480 sizes (all of them would take over an hour per test here).
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class OpenAmpCPeerEchoTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** A stall detector, not a timing: no kick for this long means nobody will kick. */
    private static final Duration STALL = Duration.ofSeconds(30);
    private static final boolean LONG = "long".equals(System.getProperty("rptun.openamp", "short"));
    /**
     * Long: every 24th size from 17 up, and 496: 21 of OpenAMP's 480 sizes, 1,048,576 echoes each, 1.5 to 3
     * minutes a test here (all 480 would take over an hour per test). Short: four sizes, 25,000 each.
     */
    private static final int[] SIZES = LONG ? IntStream.concat(IntStream.iterate(EchoPattern.MIN_SIZE,
            s -> s <= EchoPattern.MAX_SIZE, s -> s + 24), IntStream.of(EchoPattern.MAX_SIZE)).toArray()
            : new int[] {17, 100, 257, 496};
    private static final long PER_SIZE = LONG ? 1_048_576 : 25_000;
    private static final Duration DEADLINE = LONG ? Duration.ofMinutes(25) : Duration.ofSeconds(120);

    private final String id = "rptun-i17-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    private final Path shm = Path.of("/dev/shm", id + ".shm");
    private final Path socket = Path.of("/tmp", id + ".sock");

    @AfterEach
    void removeFiles() throws Exception {
        Files.deleteIfExists(shm);
        Files.deleteIfExists(socket);
    }

    @Test
    void aKickDrivenFloodHostGetsEveryEchoBackFromTheRptunEchoRemote() throws Exception {
        try (RptunSides.EchoRemote remote = RptunSides.EchoRemote.start(shm, socket, WAIT);
                CFloodHost host = CFloodHost.start(shm, socket, WAIT, STALL)) {
            host.deadline(DEADLINE);
            for (int size : SIZES) {
                host.flood(size, PER_SIZE);
            }
            host.sendShutdown();
            assertThat(remote.awaitShutdown(WAIT)).as("the remote got the shutdown message").isTrue();
            assertThat(host.echoes()).isEqualTo(SIZES.length * PER_SIZE);
            RpmsgDevice device = remote.device(WAIT);
            RpmsgStats stats = device.stats();
            assertThat(stats.dropped()).as("nothing dropped, no callback failed: %s", host).isEmpty();
            assertThat(device.state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }

    @Test
    void theRptunHostGetsEveryEchoBackFromAKickDrivenEchoRemoteThatAnswersWithABlockingSend() throws Exception {
        CEchoRemote remote = CEchoRemote.create(shm, socket, STALL);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            remote.deadline(DEADLINE.plus(WAIT));
            remote.serve(WAIT);
        }, r -> Thread.ofPlatform().daemon().name("c-echo-remote").start(r));
        try (remote; RptunSides.FloodHost host = RptunSides.FloodHost.start(shm, socket, WAIT)) {
            for (int size : SIZES) {
                host.flood(size, PER_SIZE, DEADLINE);
            }
            host.sendShutdown();
            served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(remote.echoes()).isEqualTo(SIZES.length * PER_SIZE);
            assertThat(remote.sendFailures()).as("%s", remote).isZero();
            assertThat(host.device().stats().dropped()).isEmpty();
        }
    }

    @Test
    void theRptunHostSendingFromItsCallbackNeverDeadlocksWithAnEchoRemoteThatDoesTooWhenBothRunOutOfBuffers()
            throws Exception {
        CEchoRemote remote = CEchoRemote.create(shm, socket, STALL);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            remote.deadline(DEADLINE.plus(WAIT));
            remote.serve(WAIT);
        }, r -> Thread.ofPlatform().daemon().name("c-echo-remote").start(r));
        try (remote; RptunSides.FloodHost host = RptunSides.FloodHost.start(shm, socket, WAIT)) {
            for (int size : SIZES) {
                // 600 in flight: more than the 256 buffers of either ring, so both callbacks wait for buffers.
                host.floodFromCallback(size, PER_SIZE, 600, DEADLINE);
            }
            host.sendShutdown();
            served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(remote.echoes()).isEqualTo(SIZES.length * PER_SIZE);
            assertThat(remote.sendFailures()).as("%s", remote).isZero();
            assertThat(host.device().stats().dropped()).isEmpty();
            assertThat(host.device().endpoints()).allSatisfy(ep -> assertThat(ep.callbackFailures()).isZero());
        }
    }
}
