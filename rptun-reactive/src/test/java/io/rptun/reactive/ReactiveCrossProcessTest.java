package io.rptun.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** A Flux through the echo service of a remote in a real second JVM, and that remote's death. */
@Timeout(180)
class ReactiveCrossProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final Path path = SimFile.shmPath("rptun-rx-" + UUID.randomUUID());
    private final ChildJvmLauncher launcher = ChildJvmLauncher.of(List.of("--echo"), ProcessBuilder.Redirect.DISCARD);

    @AfterEach
    void nothingIsLeft() throws Exception {
        launcher.kill();
        Files.deleteIfExists(path);
        Process p = launcher.process();
        assertThat(p == null || !p.isAlive()).isTrue();
    }

    private static byte[] seq(int i) {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i).array();
    }

    @Test
    void aFluxEchoesThroughARemoteJvmInOrderWithASlowSubscriberAndNothingHeldAfterwards() throws Exception {
        int n = 20_000;
        try (Rptun host = Rptun.create(SimDriver.host(SimOptions.defaults("x").withPath(path), launcher),
                RptunOptions.defaults().withReadyTimeout(WAIT))) {
            host.start();
            RpmsgReactive rpmsg = RpmsgReactive.create(host);
            RpmsgChannel echo = rpmsg.open(SimRemote.ECHO, WAIT).block(WAIT);
            assertThat(echo).isNotNull();
            // Subscribe first (the message is valid inside onNext: map() reads it there), limitRate keeps
            // demand small so the remote's sends are paced by this subscriber.
            var received = echo.receive().map(m -> m.getIntLE(0)).limitRate(8).take(n).collectList().toFuture();
            StepVerifier.create(echo.sendBytes(Flux.range(0, n).map(ReactiveCrossProcessTest::seq)).then())
                    .verifyComplete();
            assertThat(received.get(60, TimeUnit.SECONDS)).containsExactlyElementsOf(IntStream.range(0, n).boxed().toList());
            echo.close().block(WAIT);
            assertThat(host.device().heldRxBuffers()).as("every RX buffer is back").isZero();
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void killingTheRemoteFailsReceiveWithPeerLost() {
        try (Rptun host = Rptun.create(SimDriver.host(SimOptions.defaults("x").withPath(path), launcher),
                RptunOptions.defaults().withReadyTimeout(WAIT))) {
            host.start();
            RpmsgChannel echo = RpmsgReactive.create(host).open(SimRemote.ECHO, WAIT).block(WAIT);
            assertThat(echo).isNotNull();
            StepVerifier.create(echo.receive().map(m -> m.getIntLE(0)))
                    .then(() -> echo.sendBytes(Flux.just(seq(1))).then().block(WAIT))
                    .expectNext(1)
                    .then(launcher::kill)
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RpmsgException.class,
                            r -> assertThat(r.reason()).isEqualTo(RpmsgException.Reason.PEER_LOST)))
                    .verify(WAIT);
        }
    }
}
