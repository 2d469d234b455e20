package io.rptun.reactive.nuttx;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.test.StepVerifier;

/** {@link NuttxSyslogFlux} against a NuttX syslog client that sends raw TRANSFER messages. */
@Timeout(60)
class NuttxSyslogFluxTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** NuttX's TRANSFER: {@code {u32 command 0, i32 result 0, i32 count, data}}. */
    private static byte[] transfer(String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + data.length).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0)
                .putInt(data.length).put(data).array();
    }

    @Test
    void theProxysLogArrivesAsLinesOnDemandAndCancellingClosesTheEndpoint() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 1536))) {
            RpmsgEndpoint proxy = loop.remote().createEndpoint("rpmsg-syslog", (ep, msg) -> { });
            StepVerifier.create(NuttxSyslogFlux.lines(loop.host()), 0)
                    .then(() -> {
                        assertThat(proxy.awaitBound(WAIT)).isTrue();
                        proxy.send(transfer("[proxy] one\n[proxy] t"));
                        proxy.send(transfer("wo\n[proxy] three\n"));
                    })
                    .thenRequest(2)
                    .expectNext("[proxy] one", "[proxy] two")
                    .thenRequest(1)
                    .expectNext("[proxy] three")
                    .thenCancel()
                    .verify(WAIT);
            assertThat(loop.host().endpoints()).noneMatch(ep -> ep.name().equals("rpmsg-syslog"));
        }
    }

    @Test
    void aSubscriberBehindByMoreThanItsBufferLosesTheOldestLinesToTheDiscardHook() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 1536))) {
            RpmsgEndpoint proxy = loop.remote().createEndpoint("rpmsg-syslog", (ep, msg) -> { });
            List<Object> discarded = new CopyOnWriteArrayList<>();
            StepVerifier.create(NuttxSyslogFlux.lines(loop.host(), 2).doOnDiscard(String.class, discarded::add), 0)
                    .then(() -> {
                        assertThat(proxy.awaitBound(WAIT)).isTrue();
                        proxy.send(transfer("a\nb\nc\nd\n"));
                        long deadline = System.nanoTime() + WAIT.toNanos();
                        while (discarded.size() < 2 && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                    })
                    .thenRequest(2)
                    .expectNext("c", "d")
                    .thenCancel()
                    .verify(WAIT);
            assertThat(discarded).containsExactly("a", "b");
        }
    }

    @Test
    void theFluxErrorsWithTheCoresReasonWhenTheDeviceCloses() {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 1536))) {
            StepVerifier.create(NuttxSyslogFlux.lines(loop.host()))
                    .then(() -> loop.host().close())
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RpmsgException.class,
                            r -> assertThat(r.reason()).isEqualTo(RpmsgException.Reason.DEVICE_CLOSED)))
                    .verify(WAIT);
        }
    }
}
