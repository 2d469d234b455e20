package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunEvent;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A host in this JVM and a remote in a real second JVM ({@link RemoteMain}) over a /dev/shm file. */
@Timeout(180)
class SimCrossProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final Path path = SimFile.shmPath("rptun-xproc-" + UUID.randomUUID());
    private final ChildJvmLauncher launcher = ChildJvmLauncher.of(List.of("--echo", "--sink"),
            ProcessBuilder.Redirect.DISCARD);

    @AfterEach
    void nothingIsLeft() throws Exception {
        launcher.kill();
        Files.deleteIfExists(path);
        Process p = launcher.process();
        assertThat(p == null || !p.isAlive()).as("no child process left").isTrue();
    }

    private static byte[] seq(int i) {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i).array();
    }

    private static RpmsgEndpoint echo(RpmsgDevice device, BlockingQueue<Integer> got) {
        RpmsgEndpoint ep = device.createEndpoint(SimRemote.ECHO, (e, msg) -> got.add(msg.getIntLE(0)));
        assertThat(ep.awaitBound(WAIT)).isTrue();
        return ep;
    }

    @Test
    void aHostEchoesWithARemoteInAnotherJvmAndStopsItCleanly() throws Exception {
        SimOptions options = SimOptions.defaults("unused").withPath(path);
        Rptun host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults().withReadyTimeout(WAIT));
        try {
            RpmsgDevice device = host.start();
            Process child = launcher.process();
            assertThat(child).isNotNull();
            assertThat(host.remoteCpuName()).contains("pid " + child.pid());
            BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint ep = echo(device, got);
            for (int i = 0; i < 20_000; i++) {
                ep.send(seq(i));
            }
            for (int i = 0; i < 20_000; i++) {
                assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo(i);
            }
            host.stop();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("stopped through the mailbox, exit 0").isZero();
        } finally {
            host.close();
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void aSigkilledRemoteIsDetectedPendingWorkFailsNamingItAndAResetBootsANewOne() throws Exception {
        SimOptions options = SimOptions.defaults("unused").withPath(path);
        Rptun host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults().withReadyTimeout(WAIT));
        List<RptunEvent> events = new CopyOnWriteArrayList<>();
        host.addListener(events::add);
        try {
            RpmsgDevice device = host.start();
            Process first = launcher.process();
            BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint ep = echo(device, got);
            // A stream in flight: a sender thread keeps sending until the link breaks under it.
            CompletableFuture<Throwable> sender = CompletableFuture.supplyAsync(() -> {
                try {
                    for (int i = 0; ; i++) {
                        ep.send(seq(i));
                    }
                } catch (RuntimeException e) {
                    return e;
                }
            });
            assertThat(got.poll(30, TimeUnit.SECONDS)).isNotNull();
            long killedAt = System.nanoTime();
            launcher.kill();
            assertThat(host.awaitState(RptunState.PEER_LOST, Duration.ofSeconds(10))).isTrue();
            long detectedMs = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.println("SIGKILL detected after " + detectedMs + " ms");
            Throwable failure = sender.get(30, TimeUnit.SECONDS);
            assertThat(failure).isInstanceOfSatisfying(RpmsgException.class, e -> {
                assertThat(e.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST);
                assertThat(e.getMessage()).contains("pid " + first.pid());
            });
            assertThatThrownBy(() -> ep.send(seq(-1))).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST));
            // Listeners hear of a change just after it is made: give the event a moment to arrive.
            long until = System.nanoTime() + WAIT.toNanos();
            while (events.stream().noneMatch(e -> e.to() == RptunState.PEER_LOST) && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            assertThat(events).extracting(RptunEvent::to).contains(RptunState.PEER_LOST);

            RpmsgDevice again = host.reset(0);
            Process second = launcher.process();
            assertThat(second.pid()).isNotEqualTo(first.pid());
            assertThat(host.generation()).isEqualTo(2);
            got.clear();
            RpmsgEndpoint ep2 = echo(again, got);
            for (int i = 0; i < 1000; i++) {
                ep2.send(seq(i));
            }
            for (int i = 0; i < 1000; i++) {
                assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo(i);
            }
            host.close();
            assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            host.close();
        }
        assertThat(path).doesNotExist();
    }
}
